/// The things the MRV management platform (管理平台) records: legal persons (entities), their
/// facilities, verifiers, data-quality control plans, monthly data with evidence, annual
/// reports and their verification. Plain values; `MRVState` holds them, `decide` checks them.

public enum MRVEntityTag {}
public enum FacilityTag {}
public enum VerifierTag {}

/// A key emitting entity is identified by its unified social credit code (18 characters).
public typealias MRVEntityID = Identifier<MRVEntityTag>
public typealias FacilityID = Identifier<FacilityTag>
public typealias VerifierID = Identifier<VerifierTag>

/// Sectors of the national market: those with compliance obligations (from a year the policy
/// table names) and those that only report (MRV-only).
public enum MRVSector: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case power
    case steel
    case cement
    case aluminium
    case petrochemical
    case chemical
    case buildingMaterials = "building_materials"
    case nonFerrous = "non_ferrous"
    case paper
    case aviation
}

/// A legal person (重点排放单位). `id` is its unified social credit code.
public struct MRVEntity: Hashable, Codable, Sendable {
    public var id: MRVEntityID
    public var name: String
    public var province: String
    public var city: String
    public var sector: MRVSector
    /// The group (集团) it belongs to, if any.
    public var group: String?

    public init(id: MRVEntityID, name: String, province: String, city: String, sector: MRVSector, group: String? = nil) {
        self.id = id
        self.name = name
        self.province = province
        self.city = city
        self.sector = sector
        self.group = group
    }
}

public enum FacilityKind: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    /// A generating unit (机组).
    case power
    /// A cement clinker production line (熟料生产线).
    case cementClinker = "cement_clinker"
    case steel
    /// An aluminium smelter (电解铝): reports CF4 and C2F6 besides CO2.
    case aluminium
}

/// The allocation categories of power units.
public enum PowerUnitCategory: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case coalGT300 = "coal_gt300"
    case coalLE300 = "coal_le300"
    case coalUnconventional = "coal_unconventional"
    case gas
}

public enum Cooling: String, Codable, Sendable, CaseIterable {
    case water
    case air
}

/// Power-unit details (required for `FacilityKind.power`, absent otherwise).
public struct PowerUnit: Hashable, Codable, Sendable {
    public var category: PowerUnitCategory
    public var capacityMW: ExactDecimal
    public var cooling: Cooling

    public init(category: PowerUnitCategory, capacityMW: ExactDecimal, cooling: Cooling) {
        self.category = category
        self.capacityMW = capacityMW
        self.cooling = cooling
    }
}

public struct Facility: Hashable, Codable, Sendable {
    public var id: FacilityID
    public var entity: MRVEntityID
    public var name: String
    public var kind: FacilityKind
    public var power: PowerUnit?
    /// The fuels the facility burns, each reported monthly.
    public var fuels: [Fuel]

    public init(id: FacilityID, entity: MRVEntityID, name: String, kind: FacilityKind, power: PowerUnit? = nil, fuels: [Fuel]) {
        self.id = id
        self.entity = entity
        self.name = name
        self.kind = kind
        self.power = power
        self.fuels = fuels
    }

    /// What the facility's output is measured in: MWh generated for power units, tonnes of
    /// clinker, crude steel or aluminium otherwise.
    public var outputUnit: String { kind == .power ? "MWh" : "t" }
}

/// A third-party verification body (第三方核查机构).
public struct Verifier: Hashable, Codable, Sendable {
    public var id: VerifierID
    public var name: String

    public init(id: VerifierID, name: String) {
        self.id = id
        self.name = name
    }
}

// MARK: data-quality control plans

/// Where a value comes from.
public enum ValueSource: String, Codable, Sendable, CaseIterable {
    case measured
    case defaultValue = "default"
    case calculated
}

/// How a data item is obtained under a control plan: measured (method, meter, frequency and
/// optionally a laboratory) or the policy default. `fallback` says what is used when the
/// primary source fails (e.g. "backup meter", "default value").
public struct DataItemPlan: Hashable, Codable, Sendable {
    /// "coal.consumption", "coal.ncv", "coal.carbon", "coal.oxidation", "generation", …
    public var item: String
    public var source: ValueSource
    public var method: String?
    public var meter: String?
    public var frequency: String?
    public var lab: String?
    public var fallback: String

    public init(
        item: String, source: ValueSource, method: String? = nil, meter: String? = nil, frequency: String? = nil,
        lab: String? = nil, fallback: String
    ) {
        self.item = item
        self.source = source
        self.method = method
        self.meter = meter
        self.frequency = frequency
        self.lab = lab
        self.fallback = fallback
    }
}

public enum PlanStatus: String, Codable, Sendable {
    /// Submitted by the entity, awaiting the province.
    case submitted
    case approved
    case returned
    /// An approved plan replaced by a later approved version.
    case superseded
}

public struct ControlPlan: Hashable, Codable, Sendable {
    public var facility: FacilityID
    public var version: Int
    public var items: [DataItemPlan]
    public var status: PlanStatus
    public var submittedAt: Timestamp
    public var decidedAt: Timestamp?
    public var reasons: [String]

    public init(
        facility: FacilityID, version: Int, items: [DataItemPlan], status: PlanStatus, submittedAt: Timestamp,
        decidedAt: Timestamp? = nil, reasons: [String] = []
    ) {
        self.facility = facility
        self.version = version
        self.items = items
        self.status = status
        self.submittedAt = submittedAt
        self.decidedAt = decidedAt
        self.reasons = reasons
    }
}

// MARK: monthly data (月度存证)

/// A parameter value and its source. A `default` value may be left out: the year's default
/// is substituted (and must match when given).
public struct TaggedValue: Hashable, Codable, Sendable {
    public var value: ExactDecimal?
    public var source: ValueSource

    public init(_ value: ExactDecimal?, _ source: ValueSource) {
        self.value = value
        self.source = source
    }

    public static func measured(_ value: ExactDecimal) -> TaggedValue { TaggedValue(value, .measured) }
    public static func calculated(_ value: ExactDecimal) -> TaggedValue { TaggedValue(value, .calculated) }
    public static let defaulted = TaggedValue(nil, .defaultValue)
}

/// What a carbon content is expressed per: heat (tC/GJ), or mass of fuel (tC/t) on the
/// as-received, air-dried or dry basis. Per-mass values on another basis than as received are
/// converted with the moistures (GB/T 483): dry → ar × (100 − Mar)/100; air-dried → ar ×
/// (100 − Mar)/(100 − Mad).
public enum CarbonBasis: String, Codable, Sendable, CaseIterable {
    case perHeat = "per_heat"
    case perMassAsReceived = "per_mass_ar"
    case perMassAirDried = "per_mass_ad"
    case perMassDry = "per_mass_d"
}

public struct CarbonContent: Hashable, Codable, Sendable {
    public var value: TaggedValue
    public var basis: CarbonBasis
    /// Total moisture as received, percent (needed for dry and air-dried bases).
    public var moistureAsReceivedPercent: ExactDecimal?
    /// Moisture of the air-dried sample, percent (needed for the air-dried basis).
    public var moistureAirDriedPercent: ExactDecimal?

    public init(
        _ value: TaggedValue, basis: CarbonBasis = .perHeat, moistureAsReceivedPercent: ExactDecimal? = nil,
        moistureAirDriedPercent: ExactDecimal? = nil
    ) {
        self.value = value
        self.basis = basis
        self.moistureAsReceivedPercent = moistureAsReceivedPercent
        self.moistureAirDriedPercent = moistureAirDriedPercent
    }
}

/// One fuel's month: consumption in the fuel's unit (t, or 10^4 Nm3 for natural gas) and the
/// parameters. A missing parameter (nil) takes the year's default, like one tagged `default`.
public struct FuelLine: Hashable, Codable, Sendable {
    public var fuel: Fuel
    public var consumption: ExactDecimal
    public var unit: String
    public var ncvGJPerUnit: TaggedValue?
    public var carbon: CarbonContent?
    public var oxidation: TaggedValue?

    public init(
        fuel: Fuel, consumption: ExactDecimal, unit: String? = nil, ncvGJPerUnit: TaggedValue? = nil, carbon: CarbonContent? = nil,
        oxidation: TaggedValue? = nil
    ) {
        self.fuel = fuel
        self.consumption = consumption
        self.unit = unit ?? fuel.unit
        self.ncvGJPerUnit = ncvGJPerUnit
        self.carbon = carbon
        self.oxidation = oxidation
    }
}

/// Production data of a month. Power units report generation, supply, heat supplied, load
/// factor and operating hours; other facilities report their output in tonnes.
public struct Production: Hashable, Codable, Sendable {
    public var generationMWh: ExactDecimal?
    public var supplyMWh: ExactDecimal?
    public var heatSuppliedGJ: ExactDecimal?
    /// A fraction, 0…1.
    public var loadFactor: ExactDecimal?
    public var operatingHours: ExactDecimal?
    /// Clinker, crude steel or aluminium produced, t.
    public var outputT: ExactDecimal?

    public init(
        generationMWh: ExactDecimal? = nil, supplyMWh: ExactDecimal? = nil, heatSuppliedGJ: ExactDecimal? = nil,
        loadFactor: ExactDecimal? = nil, operatingHours: ExactDecimal? = nil, outputT: ExactDecimal? = nil
    ) {
        self.generationMWh = generationMWh
        self.supplyMWh = supplyMWh
        self.heatSuppliedGJ = heatSuppliedGJ
        self.loadFactor = loadFactor
        self.operatingHours = operatingHours
        self.outputT = outputT
    }
}

/// Aluminium smelters: perfluorocarbon emission factors, kg per tonne of aluminium.
public struct PFCData: Hashable, Codable, Sendable {
    public var cf4KgPerT: TaggedValue
    public var c2f6KgPerT: TaggedValue

    public init(cf4KgPerT: TaggedValue, c2f6KgPerT: TaggedValue) {
        self.cf4KgPerT = cf4KgPerT
        self.c2f6KgPerT = c2f6KgPerT
    }
}

/// An evidence file deposited with the data: the SHA-256 (64 lower-case hex digits) of its
/// bytes, computed by the MRV service from the uploaded bytes, which it stores under that key
/// (`mrv_evidence_blob`) in the deposit's transaction.
public struct EvidenceFile: Hashable, Codable, Sendable {
    public var name: String
    public var sha256: String
    /// The data item it supports ("coal.ncv"), if one.
    public var item: String?

    public init(name: String, sha256: String, item: String? = nil) {
        self.name = name
        self.sha256 = sha256
        self.item = item
    }
}

// MARK: process emissions (cement clinker, steel)

/// Raw materials a steel works reports whose carbon leaves in the process, not as fuel:
/// carbonate fluxes and electrodes (docs/mrv.md, "Process emissions").
public enum ProcessMaterial: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case limestone
    case dolomite
    /// Graphite electrodes of electric arc furnaces.
    case electrode
}

/// A quantity of one process material consumed in the month, t.
public struct ProcessInput: Hashable, Codable, Sendable {
    public var material: ProcessMaterial
    public var quantityT: ExactDecimal

    public init(material: ProcessMaterial, quantityT: ExactDecimal) {
        self.material = material
        self.quantityT = quantityT
    }
}

/// Process data of a month. Cement clinker lines: the clinker emission factor (tCO2 per t of
/// clinker from carbonate decomposition; missing or tagged default = the year's default).
/// Steel works: the process materials consumed, each once (factors are the year's table).
public struct ProcessData: Hashable, Codable, Sendable {
    public var clinkerFactor: TaggedValue?
    public var inputs: [ProcessInput]

    public init(clinkerFactor: TaggedValue? = nil, inputs: [ProcessInput] = []) {
        self.clinkerFactor = clinkerFactor
        self.inputs = inputs
    }
}

/// A facility's data for one month.
public struct MonthlyData: Hashable, Codable, Sendable {
    public var facility: FacilityID
    public var year: Int
    public var month: Int
    public var fuels: [FuelLine]
    public var production: Production
    public var purchasedMWh: ExactDecimal?
    public var pfc: PFCData?
    /// Cement and steel process data; nil for a clinker line means the default clinker factor.
    public var process: ProcessData?
    public var evidence: [EvidenceFile]

    public init(
        facility: FacilityID, year: Int, month: Int, fuels: [FuelLine], production: Production = Production(),
        purchasedMWh: ExactDecimal? = nil, pfc: PFCData? = nil, process: ProcessData? = nil, evidence: [EvidenceFile] = []
    ) {
        self.process = process
        self.facility = facility
        self.year = year
        self.month = month
        self.fuels = fuels
        self.production = production
        self.purchasedMWh = purchasedMWh
        self.pfc = pfc
        self.evidence = evidence
    }

    public var key: FacilityMonth { FacilityMonth(facility: facility, year: year, month: month) }
}

public struct FacilityMonth: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public var facility: FacilityID
    public var year: Int
    public var month: Int

    public init(facility: FacilityID, year: Int, month: Int) {
        self.facility = facility
        self.year = year
        self.month = month
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.facility.rawValue, a.year, a.month) < (b.facility.rawValue, b.year, b.month)
    }

    public var description: String { "\(facility) \(year)-\(month < 10 ? "0" : "")\(month)" }
}

/// A replaced version of a month's data or evidence, kept for the record.
public struct MonthRevision: Hashable, Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case correction
        case evidence
    }

    public var kind: Kind
    /// The data as it was before this revision.
    public var previous: MonthlyData
    public var reason: String
    public var at: Timestamp

    public init(kind: Kind, previous: MonthlyData, reason: String, at: Timestamp) {
        self.kind = kind
        self.previous = previous
        self.reason = reason
        self.at = at
    }
}

/// A submitted month: its current data, when it was first deposited, whether that was after
/// the due date, and every earlier version.
/// A measured or calculated parameter that the facility's approved control plan does not back
/// ("not measured compliantly"): the year's default was used instead, and the submitted value
/// is kept here.
public struct DefaultSubstitution: Hashable, Codable, Sendable {
    /// The data item, "coal.carbon", "coal.ncv" or "coal.oxidation".
    public var item: String
    public var submitted: TaggedValue
    public var reason: String

    public init(item: String, submitted: TaggedValue, reason: String) {
        self.item = item
        self.submitted = submitted
        self.reason = reason
    }
}

public struct MonthRecord: Hashable, Codable, Sendable {
    public var data: MonthlyData
    public var submittedAt: Timestamp
    public var late: Bool
    public var revisions: [MonthRevision]
    /// Parameters of the current version replaced by defaults (`DefaultSubstitution`).
    public var substitutions: [DefaultSubstitution] = []

    public init(data: MonthlyData, submittedAt: Timestamp, late: Bool, revisions: [MonthRevision] = []) {
        self.data = data
        self.submittedAt = submittedAt
        self.late = late
        self.revisions = revisions
    }

    public var corrections: Int { revisions.count { $0.kind == .correction } }

    /// Every evidence list the month has had, oldest first: the deposit's, then one per
    /// revision (a correction or an evidence replacement) with its time and reason. Files
    /// replaced stay listed in the version that had them.
    public var evidenceHistory: [EvidenceVersion] {
        var versions: [EvidenceVersion] = []
        var since = submittedAt
        var reason: String?
        var kind: MonthRevision.Kind?
        for revision in revisions {
            versions.append(EvidenceVersion(version: versions.count + 1, from: since, change: kind, reason: reason, files: revision.previous.evidence))
            (since, reason, kind) = (revision.at, revision.reason, revision.kind)
        }
        versions.append(EvidenceVersion(version: versions.count + 1, from: since, change: kind, reason: reason, files: data.evidence))
        return versions
    }

    /// Every evidence file the month has ever listed (current and replaced), each once.
    public var allEvidence: [EvidenceFile] {
        var seen = Set<String>()
        return evidenceHistory.flatMap(\.files).filter { seen.insert($0.sha256).inserted }
    }
}

/// One version of a month's evidence list: in force from `from` (the deposit, or the revision
/// that made it, with its kind and reason).
public struct EvidenceVersion: Hashable, Codable, Sendable {
    public var version: Int
    public var from: Timestamp
    /// nil for the deposit.
    public var change: MonthRevision.Kind?
    public var reason: String?
    public var files: [EvidenceFile]

    public init(version: Int, from: Timestamp, change: MonthRevision.Kind?, reason: String?, files: [EvidenceFile]) {
        self.version = version
        self.from = from
        self.change = change
        self.reason = reason
        self.files = files
    }
}

// MARK: annual reports and verification

/// A facility's year as reported: emissions (tCO2e, half up to 2 decimals, each from its exact
/// value) and output.
public struct FacilityYearSummary: Hashable, Codable, Sendable {
    public var facility: FacilityID
    public var combustionT: ExactDecimal
    public var electricityT: ExactDecimal
    /// CF4 and C2F6 in CO2e with the guideline's GWP set (aluminium).
    public var pfcT: ExactDecimal
    /// Process CO2: clinker carbonate decomposition (cement), fluxes and electrodes (steel).
    public var processT: ExactDecimal
    public var totalT: ExactDecimal
    /// `fuel:month:parameter` for every default the calculator applied.
    public var defaultsUsed: [String]
    public var generationMWh: ExactDecimal
    public var supplyMWh: ExactDecimal
    public var heatSuppliedGJ: ExactDecimal
    public var outputT: ExactDecimal
    /// Corrections made to the facility's months of the year.
    public var corrections: Int

    public init(
        facility: FacilityID, combustionT: ExactDecimal, electricityT: ExactDecimal, pfcT: ExactDecimal, totalT: ExactDecimal,
        defaultsUsed: [String], generationMWh: ExactDecimal, supplyMWh: ExactDecimal, heatSuppliedGJ: ExactDecimal,
        outputT: ExactDecimal, corrections: Int, processT: ExactDecimal = .zero
    ) {
        self.processT = processT
        self.facility = facility
        self.combustionT = combustionT
        self.electricityT = electricityT
        self.pfcT = pfcT
        self.totalT = totalT
        self.defaultsUsed = defaultsUsed
        self.generationMWh = generationMWh
        self.supplyMWh = supplyMWh
        self.heatSuppliedGJ = heatSuppliedGJ
        self.outputT = outputT
        self.corrections = corrections
    }
}

public enum ReportStatus: String, Codable, Sendable {
    /// Submitted by the entity; no verifier yet.
    case submitted
    /// A verifier is assigned and working (findings, corrections); also after a review return.
    case verifying
    /// The verifier has concluded; awaiting the city's review.
    case concluded
    case cityApproved = "city_approved"
    case provinceApproved = "province_approved"
    /// Approved at national level: verified emissions and output are final.
    case approved
}

/// The three-level joint review (国家-省-市三级联审), in order.
public enum ReviewLevel: String, Codable, Sendable, CaseIterable {
    case city
    case province
    case national
}

public struct ReviewRecord: Hashable, Codable, Sendable {
    public var level: ReviewLevel
    public var approved: Bool
    public var reasons: [String]
    public var at: Timestamp

    public init(level: ReviewLevel, approved: Bool, reasons: [String], at: Timestamp) {
        self.level = level
        self.approved = approved
        self.reasons = reasons
        self.at = at
    }
}

/// A non-conformity (不符合项) the verifier records.
public struct Finding: Hashable, Codable, Sendable {
    public var number: Int
    public var facility: FacilityID
    public var month: Int?
    /// The data item concerned, e.g. "coal.ncv".
    public var item: String
    public var description: String
    public var requiredCorrection: String
    public var recordedAt: Timestamp
    /// The entity's answer once corrected; nil while open.
    public var response: String?
    public var resolvedAt: Timestamp?

    public init(
        number: Int, facility: FacilityID, month: Int?, item: String, description: String, requiredCorrection: String,
        recordedAt: Timestamp, response: String? = nil, resolvedAt: Timestamp? = nil
    ) {
        self.number = number
        self.facility = facility
        self.month = month
        self.item = item
        self.description = description
        self.requiredCorrection = requiredCorrection
        self.recordedAt = recordedAt
        self.response = response
        self.resolvedAt = resolvedAt
    }

    public var isOpen: Bool { resolvedAt == nil }
}

/// What the verifier concludes for one facility.
public struct VerifiedFacility: Hashable, Codable, Sendable {
    public var facility: FacilityID
    /// tCO2e, at most 2 decimals.
    public var emissionsT: ExactDecimal
    /// In the facility's output unit (MWh for power units, t otherwise).
    public var output: ExactDecimal

    public init(facility: FacilityID, emissionsT: ExactDecimal, output: ExactDecimal) {
        self.facility = facility
        self.emissionsT = emissionsT
        self.output = output
    }
}

public struct ReportKey: Hashable, Codable, Sendable, Comparable {
    public var entity: MRVEntityID
    public var year: Int

    public init(entity: MRVEntityID, year: Int) {
        self.entity = entity
        self.year = year
    }

    public static func < (a: Self, b: Self) -> Bool { (a.entity.rawValue, a.year) < (b.entity.rawValue, b.year) }
}

/// An entity's annual emissions report for one data year, assembled from its facilities'
/// twelve months (with corrections), and its verification and review.
public struct AnnualReport: Hashable, Codable, Sendable {
    public var entity: MRVEntityID
    public var year: Int
    /// 1 at first submission; each resubmission (after corrections) adds one.
    public var version: Int
    public var status: ReportStatus
    public var facilities: [FacilityYearSummary]
    public var submittedAt: Timestamp
    public var deadline: CivilDate
    public var late: Bool
    public var verifier: VerifierID?
    public var findings: [Finding]
    public var verified: [VerifiedFacility]?
    public var verificationDeadline: CivilDate
    public var concludedAt: Timestamp?
    public var verificationLate: Bool
    public var reviews: [ReviewRecord]
    /// Earlier assembled versions (facility summaries), for the record.
    public var previousVersions: [[FacilityYearSummary]]

    public init(
        entity: MRVEntityID, year: Int, version: Int, status: ReportStatus, facilities: [FacilityYearSummary], submittedAt: Timestamp,
        deadline: CivilDate, late: Bool, verificationDeadline: CivilDate
    ) {
        self.entity = entity
        self.year = year
        self.version = version
        self.status = status
        self.facilities = facilities
        self.submittedAt = submittedAt
        self.deadline = deadline
        self.late = late
        self.verifier = nil
        self.findings = []
        self.verified = nil
        self.verificationDeadline = verificationDeadline
        self.concludedAt = nil
        self.verificationLate = false
        self.reviews = []
        self.previousVersions = []
    }

    public var key: ReportKey { ReportKey(entity: entity, year: year) }
}
