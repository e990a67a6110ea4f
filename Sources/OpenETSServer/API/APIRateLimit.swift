import Foundation
import HTTPTypes
import Hummingbird
import OpenETSApplication
import OpenETSDomain
import Synchronization

/// The limit on state-changing API calls: at most `calls` POSTs per token in any window of
/// `windowSeconds` (a sliding window). Configuration (`ServerConfiguration.apiRateLimit`), not
/// a constant of the code.
public struct APIRateLimit: Hashable, Sendable {
    public var calls: Int
    public var windowSeconds: Int

    public init(calls: Int, windowSeconds: Int) {
        precondition(calls >= 1 && windowSeconds >= 1, "a rate limit allows at least one call per second-long window")
        self.calls = calls
        self.windowSeconds = windowSeconds
    }

    /// 120 state-changing calls per token per minute (2 a second sustained, bursts of 120).
    public static let standard = APIRateLimit(calls: 120, windowSeconds: 60)

    /// 20 account applications or resubmissions per client address per hour (the public form
    /// and API: enough for an office behind one address, not for a flood of applications).
    public static let applications = APIRateLimit(calls: 20, windowSeconds: 3_600)
}

/// Counts each key's recent state-changing calls (an API token's SHA-256, never the token; a
/// web user). Each key keeps at most `limit.calls` times, oldest first, in a ring: admitting a
/// call is O(1) whatever the limit (a limit raised for a load test does not make every call
/// scan a minute of history).
public final class APIRateLimiter: Sendable {
    public let limit: APIRateLimit
    /// Keys tracked before idle ones are forgotten (memory bound).
    static let maxTrackedTokens = 100_000
    private let calls = Mutex<[String: Recent]>([:])

    /// The times of a key's last calls (at most `limit.calls`), in milliseconds.
    struct Recent {
        var times: [Int64] = []
        /// Index of the oldest time once `times` is full.
        var oldest = 0

        var newest: Int64? { times.isEmpty ? nil : times[(oldest + times.count - 1) % times.count] }

        /// Below capacity the times are in order: drops those at or before `cutoff` once they
        /// are at least half of them (amortised O(1) per call; memory bounded by the calls of
        /// one window even under a limit far above them).
        mutating func dropExpired(before cutoff: Int64) {
            guard times.count >= 64, times[times.count / 2] <= cutoff else { return }
            var low = 0, high = times.count
            while low < high {
                let middle = (low + high) / 2
                if times[middle] <= cutoff { low = middle + 1 } else { high = middle }
            }
            times.removeFirst(low)
        }
    }

    public init(_ limit: APIRateLimit) { self.limit = limit }

    /// Nil when the call is admitted (and counted); otherwise the seconds until one is.
    public func admit(_ key: String, at now: Timestamp) -> Int? {
        let window = Int64(limit.windowSeconds) * 1000, ms = now.millisecondsSinceEpoch, capacity = limit.calls
        return calls.withLock { calls in
            var recent = calls.removeValue(forKey: key) ?? Recent()
            defer { calls[key] = recent }
            if recent.times.count < capacity {
                recent.times.append(ms)
                recent.dropExpired(before: ms - window)
            } else if recent.times[recent.oldest] > ms - window {
                // `capacity` calls within the window: the oldest of them leaves it first.
                return Int(max(1, (recent.times[recent.oldest] + window - ms + 999) / 1000))
            } else {
                recent.times[recent.oldest] = ms
                recent.oldest = (recent.oldest + 1) % capacity
            }
            if calls.count >= Self.maxTrackedTokens {
                // Idle keys go; if most are still live (a flood of made-up tokens), all go: the
                // table is then at most half full, so this runs once per many insertions, not
                // on every call.
                calls = calls.filter { ($0.value.newest ?? 0) > ms - window }
                if calls.count >= Self.maxTrackedTokens / 2 { calls.removeAll() }
            }
            return nil
        }
    }
}

/// 429 RATE_LIMITED with Retry-After for a POST over its token's limit; other calls pass.
struct APIRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: APIRateLimiter

    func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, let token = APIRequestInfo.bearer else { return try await next(request, context) }
        guard let wait = limiter.admit(token.hash, at: SystemClock().now()) else { return try await next(request, context) }
        let limit = limiter.limit
        var response = apiErrorResponse(
            .tooManyRequests, "RATE_LIMITED", "more than \(limit.calls) state-changing calls in \(limit.windowSeconds) s with this token",
            ["limit": String(limit.calls), "windowSeconds": String(limit.windowSeconds), "retryAfter": String(wait)])
        response.headers[.retryAfter] = String(wait)
        return response
    }
}

/// 429 RATE_LIMITED for an account application or resubmission (`applyForAccount`,
/// `resubmitAccountApplication`) over its client address's limit, shared with the web form;
/// nothing is read or stored. Every other call passes.
struct ApplicationRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: APIRateLimiter

    /// Compared by segments, empty ones dropped and each percent-decoded, as the router matches
    /// them: `/api/v1/accounts/applications/` and `//api/v1/…` reach the same operation, so they
    /// must not escape the limit.
    /// Only a segment with a `%` is decoded (Foundation's decoding was 2.7 % of the server's
    /// CPU under order load when every segment of every API call went through it).
    static func isApplication(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            segment.utf8.contains(UInt8(ascii: "%")) ? (segment.removingPercentEncoding ?? String(segment)) : String(segment)
        }
        let applications = ["api", "v1", "accounts", "applications"]
        guard segments.starts(with: applications) else { return false }
        return segments.count == 4 || (segments.count == 6 && segments[5] == "resubmission")
    }

    func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, Self.isApplication(request.uri.path) else { return try await next(request, context) }
        guard let wait = limiter.admit("ip:" + context.limitKey, at: SystemClock().now()) else { return try await next(request, context) }
        let limit = limiter.limit
        var response = apiErrorResponse(
            .tooManyRequests, "RATE_LIMITED", "more than \(limit.calls) account applications or resubmissions in \(limit.windowSeconds) s from this address",
            ["limit": String(limit.calls), "windowSeconds": String(limit.windowSeconds), "retryAfter": String(wait)])
        response.headers[.retryAfter] = String(wait)
        return response
    }
}
