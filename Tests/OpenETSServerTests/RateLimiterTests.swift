import Foundation
import OpenETSDomain
import OpenETSServer
import Testing

/// The sliding-window limiter against a plain model (every admitted call kept, the window
/// counted each time), over seeded random call times, limits and keys.
@Suite("Rate limiter")
struct RateLimiterTests {
    @Test func agreesWithCountingTheWindowEveryTime() {
        let seed = UInt64(ProcessInfo.processInfo.environment["OPENETS_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        print("rate limiter test: seed=\(seed)")
        var rng = SplitMix64(seed: seed)
        for _ in 0..<40 {
            let limit = APIRateLimit(calls: Int(rng.next() % 200) + 1, windowSeconds: Int(rng.next() % 5) + 1)
            let limiter = APIRateLimiter(limit)
            var admitted: [String: [Int64]] = [:]
            var now: Int64 = 1_700_000_000_000
            for _ in 0..<3_000 {
                now += Int64(rng.next() % 40)
                let key = "k\(rng.next() % 3)"
                let window = Int64(limit.windowSeconds) * 1000
                let inWindow = (admitted[key] ?? []).filter { $0 > now - window }
                let wait = limiter.admit(key, at: Timestamp(millisecondsSinceEpoch: now))
                if inWindow.count < limit.calls {
                    #expect(wait == nil, "seed \(seed): \(inWindow.count) of \(limit.calls) calls in the window")
                    admitted[key, default: []].append(now)
                } else {
                    let expected = (inWindow[inWindow.count - limit.calls] + window - now + 999) / 1000
                    #expect(wait == Int(max(1, expected)), "seed \(seed)")
                }
            }
        }
    }
}
