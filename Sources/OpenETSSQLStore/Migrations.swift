/// Numbered migrations, shared by SQLite and PostgreSQL: the SQL below is written to mean the
/// same in both. A migration is never edited once released; changes come as a new number.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]
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
    ]
}
