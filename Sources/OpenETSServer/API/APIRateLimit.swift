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
}

/// Counts each token's recent state-changing calls (by the token's SHA-256, never the token).
final class APIRateLimiter: Sendable {
    let limit: APIRateLimit
    /// Tokens tracked before idle ones are forgotten (memory bound).
    static let maxTrackedTokens = 100_000
    private let calls = Mutex<[String: [Int64]]>([:])

    init(_ limit: APIRateLimit) { self.limit = limit }

    /// Nil when the call is admitted (and counted); otherwise the seconds until one is.
    func admit(_ key: String, at now: Timestamp) -> Int? {
        let window = Int64(limit.windowSeconds) * 1000, ms = now.millisecondsSinceEpoch
        return calls.withLock { calls in
            var recent = (calls[key] ?? []).filter { $0 > ms - window }
            if recent.count >= limit.calls {
                calls[key] = recent
                let wait = recent[recent.count - limit.calls] + window - ms
                return Int(max(1, (wait + 999) / 1000))
            }
            recent.append(ms)
            calls[key] = recent
            if calls.count > Self.maxTrackedTokens {
                calls = calls.filter { $0.value.last.map { $0 > ms - window } ?? false }
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
        guard let wait = limiter.admit(sha256Hex(token), at: SystemClock().now()) else { return try await next(request, context) }
        let limit = limiter.limit
        var response = apiErrorResponse(
            .tooManyRequests, "RATE_LIMITED", "more than \(limit.calls) state-changing calls in \(limit.windowSeconds) s with this token",
            ["limit": String(limit.calls), "windowSeconds": String(limit.windowSeconds), "retryAfter": String(wait)])
        response.headers[.retryAfter] = String(wait)
        return response
    }
}
