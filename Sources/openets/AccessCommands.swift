import ArgumentParser
import Foundation
import OpenETSApplication
import OpenETSDomain
import OpenETSRuntime

/// `openets access token create|revoke|list`: API tokens for the REST API (docs/api.md).
struct AccessCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access", abstract: "Users' API tokens for the REST API.", subcommands: [TokenCommandGroup.self])
}

struct TokenCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, revoke and list API tokens (bearer tokens bound to a user).",
        subcommands: [CreateToken.self, RevokeToken.self, ListTokens.self])

    struct CreateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a token for a user; prints it once (only its SHA-256 is stored).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The user the token acts as (its role and account apply).") var user: String
        @Option(help: "A note to recognise the token by.") var label: String = ""
        @Option(help: ArgumentHelp("Days until the token expires (1-\(AccessService.maxTokenLifetimeDays)).", valueName: "DAYS"))
        var expiresIn: Int = AccessService.defaultTokenLifetimeDays
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let outcome = try await withAccess(store.location) { access in
                try await access.createAPIToken(user: user, label: label, at: SystemClock().now(), lifetimeDays: expiresIn)
            }
            switch outcome {
            case .success(let created):
                if json {
                    print(jsonText(["id": created.record.id, "token": created.token, "user": created.record.user, "expires": utc(created.record.expiresAt)]))
                } else {
                    print("token \(created.record.id) for \(created.record.user), expires \(utc(created.record.expiresAt)) (shown once; keep it secret):")
                    print(created.token)
                }
            case .failure(.unknownUser(let id)):
                FileHandle.standardError.write(Data("rejected: UNKNOWN_USER: no user \(id)\n".utf8))
                throw ExitCode(3)
            case .failure(.invalidLifetime(let days)):
                FileHandle.standardError.write(Data("rejected: INVALID_INPUT: --expires-in \(days): 1-\(AccessService.maxTokenLifetimeDays) days\n".utf8))
                throw ExitCode(3)
            case .failure(.invalidLabel):
                FileHandle.standardError.write(Data("rejected: INVALID_INPUT: label: one line, at most \(AccessService.maxTokenLabelBytes) bytes\n".utf8))
                throw ExitCode(3)
            }
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (tok-…).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The token's id, as `token list` prints it.") var id: String

        func run() async throws {
            let revoked = try await withAccess(store.location) { access in try await access.revokeAPIToken(id: id, at: SystemClock().now()) }
            guard revoked else {
                FileHandle.standardError.write(Data("rejected: UNKNOWN_TOKEN: no live token \(id)\n".utf8))
                throw ExitCode(3)
            }
            print("revoked \(id)")
        }
    }

    struct ListTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never the tokens themselves).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this user's tokens.") var user: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tokens = try await withAccess(store.location) { access in try await access.store.apiTokens(user: user) }
            if json {
                print(jsonText(tokens.map { TokenLine(id: $0.id, user: $0.user, label: $0.label, created: utc($0.createdAt), revoked: $0.revokedAt.map(utc), expires: utc($0.expiresAt)) }))
                return
            }
            for token in tokens {
                print("\(token.id)  \(token.user)  created \(utc(token.createdAt))" + (token.revokedAt.map { "  revoked \(utc($0))" } ?? "  live")
                    + "  expires \(utc(token.expiresAt))" + (token.label.isEmpty ? "" : "  \(token.label)"))
            }
        }
    }

    struct TokenLine: Encodable {
        var id, user, label, created: String
        var revoked: String?
        var expires: String
    }
}

/// Opens (and migrates) the store, runs `body` with the access service, closes the store.
func withAccess<T>(_ location: StoreLocation, _ body: (AccessService) async throws -> T) async throws -> T {
    let store = try await Composition.openStore(location)
    do {
        let result = try await body(AccessService(store: store))
        try await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}

/// A timestamp as ISO 8601 in UTC.
private func utc(_ time: Timestamp) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000))
}
