/// Numbered migrations, shared by SQLite and PostgreSQL: the SQL below is written to mean the
/// same in both. A migration is never edited once released; changes come as a new number.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]
    /// SQLite's own statements for the same change, where SQLite has a better storage choice
    /// (tables `WITHOUT ROWID`); nil: `statements` serve both dialects.
    public var sqliteStatements: [String]? = nil

    func statements(for dialect: SQLDialect) -> [String] {
        dialect == .sqlite ? sqliteStatements ?? statements : statements
    }
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "registry ledger",
            statements: [
                """
                CREATE TABLE journal (
                    seq BIGINT PRIMARY KEY,
                    recorded_at BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    body TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                "CREATE TABLE journal_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
                "INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '\(String(repeating: "0", count: 64))')",
                """
                CREATE TABLE journal_postings (
                    seq BIGINT NOT NULL,
                    line INTEGER NOT NULL,
                    account_id TEXT NOT NULL,
                    asset TEXT NOT NULL,
                    amount BIGINT NOT NULL,
                    PRIMARY KEY (seq, line)
                )
                """,
                "CREATE INDEX journal_postings_account ON journal_postings (account_id, seq)",
                """
                CREATE TABLE journal_accounts (
                    account_id TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    PRIMARY KEY (account_id, seq)
                )
                """,
                """
                CREATE TABLE idempotency (
                    idempotency_key TEXT PRIMARY KEY,
                    request_hash TEXT NOT NULL,
                    seq BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY,
                    type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    owner_id TEXT NOT NULL,
                    owner_name TEXT NOT NULL,
                    province TEXT,
                    opened_at BIGINT NOT NULL,
                    representatives TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE unit_types (
                    code TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    label TEXT NOT NULL,
                    vintage_from INTEGER NOT NULL,
                    vintage_to INTEGER NOT NULL,
                    project_id TEXT,
                    issuer TEXT NOT NULL,
                    serialized INTEGER NOT NULL,
                    issued_quantity BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE holding_blocks (
                    account_id TEXT NOT NULL,
                    unit_type TEXT NOT NULL,
                    serial_first BIGINT NOT NULL,
                    freeze_id TEXT NOT NULL,
                    quantity BIGINT NOT NULL CHECK (quantity > 0),
                    PRIMARY KEY (account_id, unit_type, serial_first, freeze_id)
                )
                """,
                // A serial block starts in one place only (fungible blocks use serial_first = 0).
                "CREATE UNIQUE INDEX holding_blocks_serial ON holding_blocks (unit_type, serial_first) WHERE serial_first > 0",
                """
                CREATE TABLE cash_balances (
                    account_id TEXT PRIMARY KEY,
                    balance_fen BIGINT NOT NULL CHECK (balance_fen > 0)
                )
                """,
                """
                CREATE TABLE freezes (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    unit_type TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    reason_kind TEXT NOT NULL,
                    pledgee TEXT,
                    reference TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE transfers (
                    id TEXT PRIMARY KEY,
                    from_account TEXT NOT NULL,
                    to_account TEXT NOT NULL,
                    unit_type TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    initiator TEXT NOT NULL,
                    status TEXT NOT NULL,
                    decided_by TEXT,
                    initiated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE certificates (
                    number TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    unit_type TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    serials TEXT NOT NULL,
                    beneficiary TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    issued_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE surrenders (
                    account_id TEXT NOT NULL,
                    compliance_year INTEGER NOT NULL,
                    unit_type TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    PRIMARY KEY (account_id, compliance_year, unit_type)
                )
                """,
                """
                CREATE TABLE settlements (
                    deal_id TEXT PRIMARY KEY,
                    seller TEXT NOT NULL,
                    buyer TEXT NOT NULL,
                    unit_type TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    amount_fen BIGINT NOT NULL,
                    settled_at BIGINT NOT NULL
                )
                """,
                "CREATE TABLE registry_totals (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
                "INSERT INTO registry_totals (name, value) VALUES ('funds_deposited_fen', 0), ('funds_withdrawn_fen', 0)",
                // Versioned registry policy (limits, four-eyes account types): JSON of RegistryPolicy.
                """
                CREATE TABLE registry_policy (
                    version INTEGER PRIMARY KEY,
                    effective_from TEXT NOT NULL,
                    body TEXT NOT NULL,
                    note TEXT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 2, name: "trading locks",
            statements: [
                // Live trading locks only (a lock at zero is deleted). asset_kind: units | funds;
                // unit_type is empty for funds; quantity in tonnes or fen.
                """
                CREATE TABLE trading_locks (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    asset_kind TEXT NOT NULL,
                    unit_type TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    reference TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 3, name: "exchange",
            statements: [
                // Exchange entries share the journal (kind 'exchange.…'); the service rebuilds
                // the books by replaying them in order.
                "CREATE INDEX journal_kind_seq ON journal (kind, seq)",
                // Versioned trading rules (sessions, holidays, bands, fees, limits): JSON of ExchangePolicy.
                """
                CREATE TABLE exchange_policy (
                    version INTEGER PRIMARY KEY,
                    effective_from TEXT NOT NULL,
                    body TEXT NOT NULL,
                    note TEXT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 4, name: "access",
            statements: [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    province TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    totp_secret TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                // Only the SHA-256 of a session token is stored.
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    csrf TEXT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE audit_log (
                    id BIGINT PRIMARY KEY,
                    at BIGINT NOT NULL,
                    user_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    address TEXT NOT NULL
                )
                """,
            ]),
        // The MRV platform's own hash-chained journal (same hash scheme as `journal`), its head
        // and its idempotency keys. MRV state is rebuilt by replaying `mrv_journal`.
        Migration(
            version: 5, name: "mrv journal",
            statements: [
                """
                CREATE TABLE mrv_journal (
                    seq BIGINT PRIMARY KEY,
                    recorded_at BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    body TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                "CREATE TABLE mrv_journal_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
                "INSERT INTO mrv_journal_head (id, seq, hash) VALUES (1, 0, '\(String(repeating: "0", count: 64))')",
                """
                CREATE TABLE mrv_idempotency (
                    idempotency_key TEXT PRIMARY KEY,
                    request_hash TEXT NOT NULL,
                    seq BIGINT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 6, name: "ccer",
            statements: [
                // CCER entries share the journal (kind 'ccer.…', found through journal_kind_seq);
                // the service rebuilds the CCER workflow by replaying them. Versioned CCER rules
                // (notice and review lengths, calendar, eligibility dates, limits): JSON of CCERPolicy.
                """
                CREATE TABLE ccer_policy (
                    version INTEGER PRIMARY KEY,
                    effective_from TEXT NOT NULL,
                    body TEXT NOT NULL,
                    note TEXT NOT NULL
                )
                """,
            ]),
        // Versioned MRV policy tables (accounting `MRVPolicy` and platform `MRVPlatformPolicy`,
        // per data year): JSON of `MRVPolicyTables`. No row = the shipped seed tables; the MRV
        // service uses the highest version.
        Migration(
            version: 7, name: "mrv policy",
            statements: [
                """
                CREATE TABLE mrv_policy (
                    version INTEGER PRIMARY KEY,
                    effective_from TEXT NOT NULL,
                    published_at BIGINT NOT NULL,
                    body TEXT NOT NULL,
                    note TEXT NOT NULL
                )
                """,
            ]),
        // The allocation cycle's records (7 is MRV policy): each stage's
        // planned commands (JSON of `CycleStagePlan`) and its completion; the true-up debts.
        // The registry movements themselves are in `journal`.
        Migration(
            version: 8, name: "allocation cycle",
            statements: [
                """
                CREATE TABLE allocation_cycle_stages (
                    plan_id TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    stage TEXT NOT NULL,
                    status TEXT NOT NULL,
                    body TEXT NOT NULL,
                    planned_at BIGINT NOT NULL,
                    done_at BIGINT,
                    PRIMARY KEY (plan_id, year, stage)
                )
                """,
                """
                CREATE TABLE allocation_cycle_debts (
                    plan_id TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    entity TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    quantity_t BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    settlement TEXT NOT NULL,
                    PRIMARY KEY (plan_id, year, entity)
                )
                """,
            ]),
        // Evidence files' bytes, content-addressed: the key is the SHA-256 of the bytes, which
        // the MRV service computes and writes in the same transaction as the journal entry
        // that deposits the file. Rows are never updated or deleted, so a replaced file stays
        // retrievable by its hash.
        Migration(
            version: 9, name: "mrv evidence blobs",
            // The bytes column: BYTEA on PostgreSQL, BLOB on SQLite (`SQLValue.blob` on both).
            statements: [Migrations.evidenceBlobTable(bytesType: "BYTEA")],
            sqliteStatements: [Migrations.evidenceBlobTable(bytesType: "BLOB")]),
        // Penalty notices of the compliance step (issue 5 §6), one per entity and year: the
        // regime, the shortfall, the average price (fen, price regime) and the amounts in fen;
        // status issued → paid | deducted. The surrender itself is stage `surrender` of
        // `allocation_cycle_stages` with each entity's assessment in its body.
        Migration(
            version: 10, name: "compliance penalty notices",
            statements: [
                """
                CREATE TABLE compliance_penalty_notices (
                    id TEXT PRIMARY KEY,
                    plan_id TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    entity TEXT NOT NULL,
                    province TEXT NOT NULL,
                    regime TEXT NOT NULL,
                    shortfall_t BIGINT NOT NULL,
                    average_price_fen BIGINT,
                    min_fen BIGINT NOT NULL,
                    max_fen BIGINT NOT NULL,
                    amount_fen BIGINT NOT NULL,
                    deduction_t BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    issued_on TEXT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (year, entity)
                )
                """,
            ]),
        // API tokens (issue 7, the REST API): a bearer token acts as its user. Only the
        // SHA-256 of the token is stored; `id` is the public handle for list and revoke.
        Migration(
            version: 12, name: "api tokens",
            statements: [
                """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    token_hash TEXT NOT NULL UNIQUE,
                    user_id TEXT NOT NULL,
                    label TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked_at BIGINT
                )
                """,
            ]),
        // The write path of the exchange (docs/benchmarks.md): one row of postings per journal
        // entry instead of one row per posting (the account index is `journal_accounts`, which
        // now lists posted accounts too; older entries keep their `journal_postings` rows), and
        // on SQLite the journal keyed by its rowid and the key-ordered tables rebuilt WITHOUT
        // ROWID, so a row insert or delete touches one b-tree instead of the table and its
        // primary-key index.
        Migration(
            version: 13, name: "compact journal postings, key-ordered tables",
            statements: [
                "CREATE TABLE journal_posting_sets (seq BIGINT PRIMARY KEY, postings TEXT NOT NULL)",
            ],
            sqliteStatements: [
                "CREATE TABLE journal_posting_sets (seq INTEGER PRIMARY KEY, postings TEXT NOT NULL)",
                // `BIGINT PRIMARY KEY` is a second b-tree beside the rowid; `INTEGER PRIMARY KEY`
                // (64-bit in SQLite) is the rowid itself.
                """
                CREATE TABLE journal_rebuilt (
                    seq INTEGER PRIMARY KEY, recorded_at BIGINT NOT NULL, kind TEXT NOT NULL, idempotency_key TEXT NOT NULL,
                    body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                "INSERT INTO journal_rebuilt SELECT * FROM journal",
                "DROP TABLE journal",
                "ALTER TABLE journal_rebuilt RENAME TO journal",
                "CREATE INDEX journal_kind_seq ON journal (kind, seq)",
            ]
                + Migrations.withoutRowID(
                    "journal_accounts",
                    "account_id TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (account_id, seq)")
                + Migrations.withoutRowID(
                    "idempotency", "idempotency_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, seq BIGINT NOT NULL")
                + Migrations.withoutRowID(
                    "holding_blocks",
                    """
                    account_id TEXT NOT NULL, unit_type TEXT NOT NULL, serial_first BIGINT NOT NULL, freeze_id TEXT NOT NULL, \
                    quantity BIGINT NOT NULL CHECK (quantity > 0), PRIMARY KEY (account_id, unit_type, serial_first, freeze_id)
                    """)
                + ["CREATE UNIQUE INDEX holding_blocks_serial ON holding_blocks (unit_type, serial_first) WHERE serial_first > 0"]
                + Migrations.withoutRowID("cash_balances", "account_id TEXT PRIMARY KEY, balance_fen BIGINT NOT NULL CHECK (balance_fen > 0)")
                + Migrations.withoutRowID(
                    "trading_locks",
                    """
                    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, asset_kind TEXT NOT NULL, unit_type TEXT NOT NULL, \
                    quantity BIGINT NOT NULL, reference TEXT NOT NULL, created_at BIGINT NOT NULL
                    """)
                + Migrations.withoutRowID(
                    "settlements",
                    """
                    deal_id TEXT PRIMARY KEY, seller TEXT NOT NULL, buyer TEXT NOT NULL, unit_type TEXT NOT NULL, \
                    quantity BIGINT NOT NULL, amount_fen BIGINT NOT NULL, settled_at BIGINT NOT NULL
                    """)),
        // Allocation plans as versioned data (issue 5 §1): each version of a plan id once, its
        // canonical JSON and that JSON's SHA-256, who loaded and published it and when. Only the
        // status moves (draft → published → superseded); at most one published version per id.
        Migration(
            version: 14, name: "allocation plans",
            statements: [
                """
                CREATE TABLE allocation_plans (
                    plan_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    year INTEGER NOT NULL,
                    sector TEXT NOT NULL,
                    plan_type TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
                    body TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    loaded_by TEXT NOT NULL,
                    loaded_at BIGINT NOT NULL,
                    published_by TEXT,
                    published_at BIGINT,
                    superseded_at BIGINT,
                    PRIMARY KEY (plan_id, version)
                )
                """,
                "CREATE UNIQUE INDEX allocation_plans_published ON allocation_plans (plan_id) WHERE status = 'published'",
            ]),
        // Penalty notices keyed by plan (issue 5 §6): two sector plans of one year give an entity
        // two notices, so the key is (plan, year, entity) and new ids are
        // `PN-{year}-{plan}-{entity}`. The table is rebuilt (SQLite cannot drop a constraint);
        // rows of migration 10 keep their ids (`PN-{year}-{entity}`) and stay readable.
        Migration(
            version: 15, name: "penalty notices keyed by plan",
            statements: [
                """
                CREATE TABLE compliance_penalty_notices_v15 (
                    id TEXT PRIMARY KEY,
                    plan_id TEXT NOT NULL,
                    year INTEGER NOT NULL,
                    entity TEXT NOT NULL,
                    province TEXT NOT NULL,
                    regime TEXT NOT NULL,
                    shortfall_t BIGINT NOT NULL,
                    average_price_fen BIGINT,
                    min_fen BIGINT NOT NULL,
                    max_fen BIGINT NOT NULL,
                    amount_fen BIGINT NOT NULL,
                    deduction_t BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    issued_on TEXT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (plan_id, year, entity)
                )
                """,
                """
                INSERT INTO compliance_penalty_notices_v15 (id, plan_id, year, entity, province, regime, shortfall_t, average_price_fen,
                    min_fen, max_fen, amount_fen, deduction_t, status, issued_on, updated_at)
                SELECT id, plan_id, year, entity, province, regime, shortfall_t, average_price_fen, min_fen, max_fen, amount_fen,
                    deduction_t, status, issued_on, updated_at FROM compliance_penalty_notices
                """,
                "DROP TABLE compliance_penalty_notices",
                "ALTER TABLE compliance_penalty_notices_v15 RENAME TO compliance_penalty_notices",
                "CREATE INDEX compliance_penalty_notices_year ON compliance_penalty_notices (year, entity)",
            ]),
        // API tokens expire (issue 7): tokens created before carry the default lifetime
        // (AccessService.defaultTokenLifetimeDays, 90 days) from their creation.
        Migration(
            version: 16, name: "api token expiry",
            statements: [
                "ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT",
                "UPDATE api_tokens SET expires_at = created_at + 7776000000 WHERE expires_at IS NULL",
            ]),
        // The role portals (issue 7, docs/portals.md): a verifier's staff act for one MRV
        // verification body; '' for every other user.
        Migration(
            version: 17, name: "users act for an mrv verifier",
            statements: ["ALTER TABLE users ADD COLUMN mrv_verifier TEXT NOT NULL DEFAULT ''"]),
        // The city portal (issue 7, docs/portals.md): city staff review for one city, named as
        // the MRV platform names an entity's city (成都); NULL for every other user.
        Migration(
            version: 18, name: "users review for a city",
            statements: ["ALTER TABLE users ADD COLUMN city TEXT"]),
        // The CCER portals (issue 7, docs/portals.md): a validation body's staff act for one
        // accredited CCER validation and verification body; NULL for every other user.
        Migration(
            version: 19, name: "users act for a ccer validation body",
            statements: ["ALTER TABLE users ADD COLUMN ccer_body TEXT"]),
        // Account opening as a workflow (issue 7, docs/security.md): one row per application
        // (the domain's application as JSON in `body`, the SHA-256 of the applicant's secret
        // reference, the credentials of the users an approval creates, a version for
        // compare-and-set) and the identity documents' bytes keyed by application and SHA-256
        // (rows are only added: a corrected application keeps its earlier documents).
        Migration(
            version: 20, name: "account applications",
            statements: Migrations.accountApplicationTables(bytesType: "BYTEA"),
            sqliteStatements: Migrations.accountApplicationTables(bytesType: "BLOB")),
        // TOTP codes log in once (issue 7): the last time step accepted per user.
        Migration(
            version: 21, name: "totp last accepted step",
            statements: ["CREATE TABLE totp_steps (user_id TEXT PRIMARY KEY, last_step BIGINT NOT NULL)"]),
        // Audit records are written by the registry's writer in its own transactions (with the
        // command they record) and by the access service in others: on PostgreSQL those run
        // concurrently on different connections, so ids come from a sequence, not MAX(id) + 1.
        // SQLite serialises writers (BEGIN IMMEDIATE), so MAX(id) + 1 inside the transaction stays.
        Migration(
            version: 23, name: "audit ids from a sequence",
            statements: [
                "CREATE SEQUENCE audit_log_ids",
                "SELECT setval('audit_log_ids', COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)",
                "ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_ids')",
            ],
            sqliteStatements: []),
        // Stored Idempotency-Keys of the API operations that are not journal commands (issue 7,
        // docs/api.md "Idempotency"): plan load and publish, a penalty notice paid, an
        // application decided or resubmitted. Keyed by caller, operation and key; the request's
        // SHA-256; status 0 while in progress, else the answer's HTTP status and JSON body;
        // rows older than APIIdempotency.retentionDays are deleted at the next claim.
        Migration(
            version: 24, name: "api idempotency keys",
            statements: [Migrations.apiIdempotencyTable(""), "CREATE INDEX api_idempotency_created ON api_idempotency (created_at)"],
            sqliteStatements: [
                Migrations.apiIdempotencyTable(" WITHOUT ROWID"), "CREATE INDEX api_idempotency_created ON api_idempotency (created_at)",
            ]),
        // When the request holding an API key in progress claimed it (issue 7, docs/api.md
        // "Idempotency"): a key held longer than the server's takeover bound was left by a
        // request that died (a crash before its write) and is taken over by a retry, which
        // sets the time anew. Rows in progress before this migration count from their creation.
        Migration(
            version: 25, name: "api idempotency claim time",
            statements: [
                "ALTER TABLE api_idempotency ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0",
                "UPDATE api_idempotency SET claimed_at = created_at",
            ]),
        // When each CCER policy version was published (issue 7: the regulator's list of
        // versions shows it, as the MRV policy's). Versions stored before have none (NULL).
        Migration(version: 26, name: "ccer policy publication time", statements: ["ALTER TABLE ccer_policy ADD COLUMN published_at BIGINT"]),
    ]

    /// Migration 24's table; `suffix` is SQLite's ` WITHOUT ROWID` or nothing.
    static func apiIdempotencyTable(_ suffix: String) -> String {
        """
        CREATE TABLE api_idempotency (
            user_id TEXT NOT NULL,
            operation TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            request_sha256 TEXT NOT NULL,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, operation, idem_key)
        )\(suffix)
        """
    }

    /// Migration 20's tables, with the dialect's byte-string column type.
    static func accountApplicationTables(bytesType: String) -> [String] {
        [
            """
            CREATE TABLE account_applications (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL CHECK (status IN ('submitted', 'returned', 'approved', 'rejected')),
                body TEXT NOT NULL,
                reference_hash TEXT NOT NULL,
                credentials TEXT NOT NULL,
                submitted_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                version BIGINT NOT NULL
            )
            """,
            "CREATE INDEX account_applications_status ON account_applications (status, submitted_at)",
            """
            CREATE TABLE account_application_documents (
                application_id TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                file_name TEXT NOT NULL,
                size BIGINT NOT NULL,
                bytes \(bytesType) NOT NULL,
                PRIMARY KEY (application_id, sha256)
            )
            """,
        ]
    }

    /// Migration 9's table, with the dialect's byte-string column type.
    static func evidenceBlobTable(bytesType: String) -> String {
        """
        CREATE TABLE mrv_evidence_blob (
            sha256 TEXT PRIMARY KEY,
            size BIGINT NOT NULL,
            media_type TEXT NOT NULL,
            stored_at BIGINT NOT NULL,
            stored_seq BIGINT NOT NULL,
            bytes \(bytesType) NOT NULL
        )
        """
    }

    /// SQLite: rebuilds `table` with the same columns (in the same order) as a WITHOUT ROWID
    /// table and copies its rows; its indexes must be created again after.
    static func withoutRowID(_ table: String, _ columns: String) -> [String] {
        [
            "CREATE TABLE \(table)_rebuilt (\(columns)) WITHOUT ROWID",
            "INSERT INTO \(table)_rebuilt SELECT * FROM \(table)",
            "DROP TABLE \(table)",
            "ALTER TABLE \(table)_rebuilt RENAME TO \(table)",
        ]
    }
}
