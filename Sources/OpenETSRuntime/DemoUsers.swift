import Foundation
import OpenETSApplication
import OpenETSDomain

/// Demo users for every role, with their passwords and TOTP secrets (printed by `openets demo`
/// and `openets serve --demo`). Demo only: the secrets are fixed so that tests and
/// walk-throughs can compute codes; a real deployment creates users with random secrets.
public enum DemoUsers {
    public struct User: Sendable, Codable {
        public var id: String
        public var name: String
        public var role: Role
        public var account: AccountID?
        public var province: String?
        public var password: String
        public var totpSecret: String?
        /// Verifier staff: the MRV verifier they act for (`DemoMRV.verifier`).
        public var verifier: String?
        /// Validation body staff: the CCER validation and verification body they act for (`DemoCCER.body`).
        public var validationBody: String?
        /// City staff: the city they review for (`DemoMRV.city`).
        public var city: String?
    }

    public static let all: [User] = {
        let list: [(String, String, Role, AccountID?, String?)] = [
            ("e1", "川能发电 经办人 Chuanneng initiator", .entityInitiator, "ENT-000001", "SC"),
            ("e1-approver", "川能发电 复核人 Chuanneng approver", .entityApprover, "ENT-000001", "SC"),
            ("e3", "粤海电力 经办人 Yuehai initiator", .entityInitiator, "ENT-000003", "GD"),
            ("i1", "碳源投资 交易员 Tanyuan trader", .investor, "INV-000001", nil),
            ("bank", "绿色银行 质押 Green Bank pledges", .pledgee, "INV-000002", nil),
            ("owner", "川西林业碳汇 West Sichuan Forestry", .projectOwner, "OWN-000001", "SC"),
            ("operator", "交易所运营 Exchange operator", .exchangeOperator, nil, nil),
            ("registrar", "登记结算 Registry operator", .registryOperator, nil, nil),
            ("mee", "生态环境部 MEE", .mee, nil, nil),
            ("sc", "四川省生态环境厅 Sichuan EEB", .province, nil, "SC"),
            ("chengdu", "成都市生态环境局 Chengdu EEB", .city, nil, "SC"),
            ("verifier", "核查机构 Verifier", .verifier, nil, nil),
            ("validator", "审定机构 Validation body", .validationBody, nil, nil),
        ]
        return list.enumerated().map { index, user in
            // Fixed base32 secrets, one per user: "OPENETS" + the user's index, padded.
            let secret = user.2.movesUnitsOrMoney ? TOTP.base32Encode(Array("openets-demo-\(user.0)-key".utf8.prefix(20))) : nil
            return User(
                id: user.0, name: user.1, role: user.2, account: user.3, province: user.4, password: "\(user.0)-demo-2025", totpSecret: secret,
                verifier: user.2 == .verifier ? DemoMRV.verifier.rawValue : nil,
                validationBody: user.2 == .validationBody ? DemoCCER.body.rawValue : nil, city: user.2 == .city ? DemoMRV.city : nil)
        }
    }()

    /// Creates the users that do not exist yet.
    public static func seed(_ store: any AccessStore, at now: Timestamp) async throws {
        for user in all where try await store.user(user.id) == nil {
            try await store.saveUser(UserRecord(
                id: user.id, name: user.name, role: user.role, account: user.account, province: user.province,
                passwordHash: try PasswordHasher.hash(user.password), totpSecret: user.totpSecret, createdAt: now, verifier: user.verifier,
                validationBody: user.validationBody, city: user.city))
        }
    }

    /// The table `openets demo` prints.
    public static func listing() -> String {
        var lines = ["Demo users (password; TOTP secret for `openets totp --secret …` or an authenticator app):"]
        for user in all {
            lines.append("  \(user.id.padding(toLength: 12, withPad: " ", startingAt: 0)) \(user.role.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \((user.account?.rawValue ?? user.city.map { "\(user.province ?? "")/\($0)" } ?? user.province ?? user.verifier ?? user.validationBody ?? "national").padding(toLength: 11, withPad: " ", startingAt: 0)) \(user.password)  \(user.totpSecret ?? "-")")
        }
        return lines.joined(separator: "\n")
    }
}
