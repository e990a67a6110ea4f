import OpenETSServer
import Testing

/// `ServerConfiguration.limitProblem`: each limit's range stated once, the problem naming the
/// setting and the `openets serve` flag that sets it.
@Suite("Server configuration: limits and their ranges")
struct ServerConfigurationTests {
    @Test func theDefaultsServe() {
        #expect(ServerConfiguration().limitProblem == nil && ServerConfiguration().problem == nil)
    }

    @Test func anOutOfRangeLimitNamesItsSettingAndFlag() throws {
        var configuration = ServerConfiguration()
        configuration.idleTimeoutSeconds = ServerConfiguration.maxDeadlineSeconds + 1
        let deadline = try #require(configuration.limitProblem)
        #expect(deadline == ServerConfiguration.Problem(setting: "idleTimeoutSeconds", range: "1-86400", value: 86_401))
        #expect(deadline.flag == "--idle-timeout-seconds" && configuration.problem == "idleTimeoutSeconds must be 1-86400 (is 86401)")
        configuration.idleTimeoutSeconds = ServerConfiguration.maxDeadlineSeconds
        #expect(configuration.limitProblem == nil, "the bound itself is in range")

        configuration.maxConcurrentEvidenceDownloads = 0
        let count = try #require(configuration.limitProblem)
        #expect(count.flag == "--max-concurrent-evidence-downloads" && count.range == "at least 1" && count.value == 0)
        configuration.maxConcurrentEvidenceDownloads = 1

        // The token cache may be 0 (off), not below, and not beyond a minute.
        configuration.apiTokenCacheMilliseconds = 0
        #expect(configuration.limitProblem == nil)
        configuration.apiTokenCacheMilliseconds = 60_001
        let cache = try #require(configuration.limitProblem)
        #expect(cache.flag == "--api-token-cache-milliseconds" && cache.range == "0-60000" && cache.value == 60_001)
        configuration.apiTokenCacheMilliseconds = -1
        #expect(configuration.limitProblem?.range == "0-60000")
        configuration.apiTokenCacheMilliseconds = 0

        // A key in progress is taken over after an hour by default; not before a minute, nor after a day.
        #expect(configuration.idempotencyTakeoverSeconds == 3_600)
        for (seconds, refused) in [(59, true), (60, false), (86_400, false), (86_401, true)] {
            configuration.idempotencyTakeoverSeconds = seconds
            #expect((configuration.limitProblem != nil) == refused, "\(seconds)")
        }
        configuration.idempotencyTakeoverSeconds = 59
        #expect(configuration.limitProblem?.flag == "--idempotency-takeover-seconds" && configuration.limitProblem?.range == "60-86400")
    }
}
