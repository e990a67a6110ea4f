import OpenETSDomain

/// The public registry pages. Each is a pure function of the registry state (and journal
/// entries), so it is tested as text.
public struct RegistryPages: Sendable {
    public let language: Language
    let s: Strings

    public init(language: Language) {
        self.language = language
        self.s = Strings(language)
    }

    /// A journal entry as the pages show it.
    public struct EntrySummary: Sendable {
        public var seq: Int64
        public var recordedAt: Timestamp
        public var kind: String
        public var hash: String

        public init(seq: Int64, recordedAt: Timestamp, kind: String, hash: String) {
            self.seq = seq
            self.recordedAt = recordedAt
            self.kind = kind
            self.hash = hash
        }
    }

    public func overview(_ state: RegistryState, headSeq: Int64, headHash: String, recent: [EntrySummary]) -> String {
        let supply = state.supply()
        var body = "<h2>\(s.supplyTitle)</h2>"
        body += table(
            [s.unitType, s.issued, s.cancelled, s.held],
            supply.map { [escape($0.unit.rawValue), Format.tonnes($0.issued, language), Format.tonnes($0.cancelled, language), Format.tonnes($0.held, language)] },
            numeric: [1, 2, 3], id: "supply")
        body += "<p class=\"csv\"><a href=\"/supply.csv\">\(s.downloadCSV)</a></p>"
        body += SupplyChart.svg(supply, caption: s.chartCaption, legend: (s.held, s.cancelled), language: language)
        var counts: [AccountType: Int] = [:]
        for account in state.accounts.values { counts[account.type, default: 0] += 1 }
        body += "<h2>\(s.accountsByType)</h2>"
        body += table(
            [s.type, s.count],
            AccountType.allCases.filter { counts[$0] != nil }.map { [escape(s.accountType($0)), String(counts[$0]!)] },
            numeric: [1])
        body += "<h2>\(s.journalHead)</h2><p>#\(headSeq) · \(headSeq) \(s.entries)<br><code id=\"head-hash\">\(escape(headHash))</code></p>"
        body += "<h2>\(s.recentEntries)</h2>"
        body += table(
            ["#", s.time, s.operation, "SHA-256"],
            recent.map { ["\($0.seq)", Format.beijingTime($0.recordedAt), escape(s.operationName($0.kind)), "<code>\(escape(String($0.hash.prefix(16))))…</code>"] },
            numeric: [0])
        return Layout(language: language, path: "/").page(title: s.overview, body)
    }

    public func accounts(_ state: RegistryState) -> String {
        let rows = state.accounts.values.sorted { $0.id < $1.id }.map { a in
            ["<a href=\"/accounts/\(escape(a.id.rawValue))\">\(escape(a.id.rawValue))</a>", escape(s.accountType(a.type)),
             escape(s.accountStatus(a.status)), escape(a.province ?? "—"), escape(a.ownerName)]
        }
        let body = table([s.account, s.type, s.status, s.province, s.owner], rows, id: "accounts")
            + "<p class=\"csv\"><a href=\"/accounts.csv\">\(s.downloadCSV)</a></p>"
        return Layout(language: language, path: "/accounts").page(title: s.accounts, body)
    }

    public func account(_ state: RegistryState, _ id: AccountID, history: [EntrySummary]) -> String? {
        guard let account = state.accounts[id] else { return nil }
        var body = table(
            [s.type, s.status, s.province, s.owner],
            [[escape(s.accountType(account.type)), escape(s.accountStatus(account.status)), escape(account.province ?? "—"),
              escape(account.ownerName) + " <span class=\"muted\">\(escape(account.ownerID))</span>"]])
        let reps = account.representatives.map { "\(escape($0.id.rawValue)) (\(escape(s.role($0.role))))" }
        body += "<p>\(s.representatives): \(reps.isEmpty ? s.none : reps.joined(separator: ", "))</p>"
        body += "<h2>\(s.holdings)</h2>"
        let keys = state.holdings.keys.filter { $0.account == id }.sorted()
        body += table(
            [s.unitType, s.total, s.available, s.frozen, s.serials],
            keys.map { key in
                let holding = state.holdings[key]!
                let unit = state.unitTypes[key.unit]!
                let blocks = unit.serialized
                    ? holding.blocks.map { "<code>\(escape(unit.serialText($0.serials)))</code>\($0.freeze.map { " [\(escape($0.rawValue))]" } ?? "")" }.joined(separator: "<br>")
                    : "—"
                return [escape(key.unit.rawValue), Format.tonnes(holding.total, language), Format.tonnes(holding.available, language),
                        Format.tonnes(holding.total - holding.available, language), blocks]
            },
            numeric: [1, 2, 3], id: "holdings")
        body += pledgeTables(state, id)
        if account.type.holdsFunds {
            body += "<p>\(s.funds): <span class=\"num\" id=\"funds\">\(Format.yuan(state.cash(id)))</span></p>"
        }
        body += "<h2>\(s.history)</h2>"
        body += table(
            ["#", s.time, s.operation],
            history.map { ["\($0.seq)", Format.beijingTime($0.recordedAt), escape(s.operationName($0.kind))] }, numeric: [0])
        return Layout(language: language, path: "/accounts/\(id.rawValue)").page(title: "\(s.account) \(id.rawValue)", body)
    }

    /// The account's pledges as holder and as pledgee (sections shown only when there are any).
    func pledgeTables(_ state: RegistryState, _ id: AccountID) -> String {
        var html = ""
        for (party, title) in [(RegistryState.PledgeParty.holder, s.pledgesGiven), (.pledgee, s.pledgesTaken)] {
            let pledges = state.pledges(party, id)
            guard !pledges.isEmpty else { continue }
            html += "<h2>\(title)</h2>"
            html += table(
                [s.pledge, s.pledgor, s.pledgee, s.unitType, s.quantity, s.contract, s.status, s.pledgedAt, s.serials],
                pledges.map { p in
                    let serials = p.serials.compactMap { range in state.unitTypes[p.unit].map { "<code>\(escape($0.serialText(range)))</code>" } }
                    return [escape(p.freeze.rawValue), escape(p.holder.rawValue), escape(p.pledgee.rawValue), escape(p.unit.rawValue),
                            Format.tonnes(p.quantity, language), escape(p.contract), escape(s.pledgeStatus(p.status)),
                            Format.beijingTime(p.createdAt), serials.isEmpty ? "—" : serials.joined(separator: "<br>")]
                },
                numeric: [4], id: "pledges-\(party.rawValue)")
            html += "<p class=\"csv\"><a href=\"/accounts/\(escape(id.rawValue))/pledges.csv\">\(s.downloadCSV)</a></p>"
        }
        return html
    }

    /// The public certificate check: anyone can confirm a voluntary cancellation.
    public func certificate(_ state: RegistryState, number: String?, entry: EntrySummary?) -> String {
        var body = """
            <form method="get" action="/certificates"><label>\(s.certificateNumber)
            <input name="number" value="\(escape(number ?? ""))" placeholder="VC-00000001"></label>
            <button type="submit">\(s.check)</button></form>
            """
        if let number, !number.isEmpty {
            if let certificate = state.certificates[CertificateNumber(number)], let unit = state.unitTypes[certificate.unit] {
                let serials = certificate.lot.serials.map { "<code>\(escape(unit.serialText($0)))</code>" }.joined(separator: "<br>")
                body += "<p class=\"ok\" id=\"certificate-valid\">\(s.valid)</p>"
                body += table(
                    [s.certificateNumber, s.beneficiary, s.purpose, s.unitType, s.quantity, s.serials, s.issuedAt],
                    [[escape(certificate.number.rawValue), escape(certificate.beneficiary), escape(certificate.purpose),
                      escape(certificate.unit.rawValue), Format.tonnes(certificate.lot.quantity, language), serials.isEmpty ? "—" : serials,
                      Format.beijingTime(certificate.issuedAt)]])
                if let entry {
                    body += "<p>\(s.journalEntry) #\(entry.seq): <code>\(escape(entry.hash))</code></p>"
                }
            } else {
                body += "<p class=\"bad\" id=\"certificate-missing\">\(s.notFound): \(escape(number))</p>"
            }
        }
        return Layout(language: language, path: "/certificates").page(title: s.certificateCheck, body)
    }

    public func notFound(path: String) -> String {
        Layout(language: language, path: path).page(title: s.notFound, "<p>\(escape(path))</p>")
    }

    // MARK: CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese names)

    public static func accountsCSV(_ state: RegistryState) -> String {
        var lines = ["\u{FEFF}account_id,type,status,province,owner_id,owner_name"]
        for a in state.accounts.values.sorted(by: { $0.id < $1.id }) {
            lines.append([a.id.rawValue, a.type.rawValue, a.status.rawValue, a.province ?? "", a.ownerID, a.ownerName].map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Pledges where the account is the holder or the pledgee, oldest first.
    public static func pledgesCSV(_ state: RegistryState, _ id: AccountID) -> String {
        var lines = ["\u{FEFF}freeze_id,role,holder,pledgee,unit_type,quantity_t,contract,status,registered_at_ms,serials"]
        for party in RegistryState.PledgeParty.allCases {
            for p in state.pledges(party, id) {
                let serials = p.serials.compactMap { range in state.unitTypes[p.unit]?.serialText(range) }.joined(separator: " ")
                lines.append([p.freeze.rawValue, party.rawValue, p.holder.rawValue, p.pledgee.rawValue, p.unit.rawValue, String(p.quantity),
                              p.contract, p.status.rawValue, String(p.createdAt.millisecondsSinceEpoch), serials].map(csvField).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public static func supplyCSV(_ state: RegistryState) -> String {
        var lines = ["\u{FEFF}unit_type,issued_t,cancelled_t,held_t"]
        for s in state.supply() { lines.append("\(csvField(s.unit.rawValue)),\(s.issued),\(s.cancelled),\(s.held)") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// A server-rendered SVG bar chart: per unit type, held and cancelled as parts of issued.
enum SupplyChart {
    static func svg(_ supply: [UnitSupply], caption: String, legend: (held: String, cancelled: String), language: Language) -> String {
        let width = 640, barHeight = 22, gap = 14, left = 170, right = 20, top = 34
        let height = top + supply.count * (barHeight + gap) + 10
        let widest = max(supply.map(\.issued).max() ?? 1, 1)
        var svg = "<figure><svg role=\"img\" aria-label=\"\(escape(caption))\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg += "<rect x=\"\(left)\" y=\"4\" width=\"14\" height=\"14\" fill=\"#b91c1c\"/><text x=\"\(left + 20)\" y=\"16\">\(escape(legend.held))</text>"
        svg += "<rect x=\"\(left + 120)\" y=\"4\" width=\"14\" height=\"14\" fill=\"#9ca3af\"/><text x=\"\(left + 140)\" y=\"16\">\(escape(legend.cancelled))</text>"
        for (index, row) in supply.enumerated() {
            let y = top + index * (barHeight + gap)
            let span = Int64(width - left - right)
            let heldWidth = row.held * span / widest
            let cancelledWidth = row.cancelled * span / widest
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(escape(row.unit.rawValue))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(heldWidth)\" height=\"\(barHeight)\" fill=\"#b91c1c\"><title>\(escape(Format.tonnes(row.held, language)))</title></rect>"
            svg += "<rect x=\"\(Int64(left) + heldWidth)\" y=\"\(y)\" width=\"\(cancelledWidth)\" height=\"\(barHeight)\" fill=\"#9ca3af\"><title>\(escape(Format.tonnes(row.cancelled, language)))</title></rect>"
        }
        return svg + "</svg><figcaption class=\"muted\">\(escape(caption))</figcaption></figure>"
    }
}
