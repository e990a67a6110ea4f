/// Named limits of the CCER workflow: every list and text has a maximum, and going over it is
/// rejected with `LIMIT_EXCEEDED` naming the limit.
public struct CCERLimits: Hashable, Codable, Sendable {
    /// Longest free text (comment, finding, reason, location, project type), in characters.
    public var maxTextLength: Int
    /// Longest project, body or methodology name, in characters.
    public var maxNameLength: Int
    public var maxCommentsPerNotice: Int
    /// Most comments one user may make on one notice, so that no one user can fill a notice's
    /// `maxCommentsPerNotice` and close it to everyone (`COMMENT_LIMIT_PER_USER` beyond it). A
    /// choice, not a rule: 20 by default; a policy stored before this field existed reads as 20.
    public var maxCommentsPerUserPerNotice: Int
    public var maxFindingsPerReport: Int
    public var maxDocumentsPerMethodology: Int
    public var maxMethodologies: Int
    public var maxBodies: Int
    public var maxProjects: Int
    public var maxPeriodsPerProject: Int
    /// Largest quantity (t) of a report, verification or expected yearly reductions.
    public var maxQuantityT: Int64
    /// Most covered facilities a policy or a command may list.
    public var maxCoveredFacilities: Int
    /// Most other schemes a project application may declare.
    public var maxOtherRegistrations: Int
    /// Most likely-duplicate warnings recorded on one project (the first ones found, in
    /// submission order of the other projects).
    public var maxDuplicateWarnings: Int

    public init(
        maxTextLength: Int, maxNameLength: Int, maxCommentsPerNotice: Int, maxFindingsPerReport: Int,
        maxDocumentsPerMethodology: Int, maxMethodologies: Int, maxBodies: Int, maxProjects: Int, maxPeriodsPerProject: Int,
        maxQuantityT: Int64, maxCoveredFacilities: Int, maxOtherRegistrations: Int, maxDuplicateWarnings: Int,
        maxCommentsPerUserPerNotice: Int = CCERLimits.defaultMaxCommentsPerUserPerNotice
    ) {
        self.maxTextLength = maxTextLength
        self.maxNameLength = maxNameLength
        self.maxCommentsPerNotice = maxCommentsPerNotice
        self.maxCommentsPerUserPerNotice = maxCommentsPerUserPerNotice
        self.maxFindingsPerReport = maxFindingsPerReport
        self.maxDocumentsPerMethodology = maxDocumentsPerMethodology
        self.maxMethodologies = maxMethodologies
        self.maxBodies = maxBodies
        self.maxProjects = maxProjects
        self.maxPeriodsPerProject = maxPeriodsPerProject
        self.maxQuantityT = maxQuantityT
        self.maxCoveredFacilities = maxCoveredFacilities
        self.maxOtherRegistrations = maxOtherRegistrations
        self.maxDuplicateWarnings = maxDuplicateWarnings
    }

    public static let defaults = CCERLimits(
        maxTextLength: 2_000, maxNameLength: 200, maxCommentsPerNotice: 1_000, maxFindingsPerReport: 200,
        maxDocumentsPerMethodology: 20, maxMethodologies: 1_000, maxBodies: 200, maxProjects: 100_000, maxPeriodsPerProject: 100,
        maxQuantityT: 1_000_000_000, maxCoveredFacilities: 100_000, maxOtherRegistrations: 20,
        maxDuplicateWarnings: 50, maxCommentsPerUserPerNotice: defaultMaxCommentsPerUserPerNotice)

    public static let defaultMaxCommentsPerUserPerNotice = 20
}

extension CCERLimits {
    enum CodingKeys: String, CodingKey {
        case maxTextLength, maxNameLength, maxCommentsPerNotice, maxCommentsPerUserPerNotice, maxFindingsPerReport
        case maxDocumentsPerMethodology, maxMethodologies, maxBodies, maxProjects, maxPeriodsPerProject, maxQuantityT
        case maxCoveredFacilities, maxOtherRegistrations, maxDuplicateWarnings
    }

    /// Decodes the limits of a stored policy; one stored before `maxCommentsPerUserPerNotice`
    /// existed gets its default (20).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maxTextLength: try c.decode(Int.self, forKey: .maxTextLength), maxNameLength: try c.decode(Int.self, forKey: .maxNameLength),
            maxCommentsPerNotice: try c.decode(Int.self, forKey: .maxCommentsPerNotice),
            maxFindingsPerReport: try c.decode(Int.self, forKey: .maxFindingsPerReport),
            maxDocumentsPerMethodology: try c.decode(Int.self, forKey: .maxDocumentsPerMethodology),
            maxMethodologies: try c.decode(Int.self, forKey: .maxMethodologies), maxBodies: try c.decode(Int.self, forKey: .maxBodies),
            maxProjects: try c.decode(Int.self, forKey: .maxProjects), maxPeriodsPerProject: try c.decode(Int.self, forKey: .maxPeriodsPerProject),
            maxQuantityT: try c.decode(Int64.self, forKey: .maxQuantityT), maxCoveredFacilities: try c.decode(Int.self, forKey: .maxCoveredFacilities),
            maxOtherRegistrations: try c.decode(Int.self, forKey: .maxOtherRegistrations),
            maxDuplicateWarnings: try c.decode(Int.self, forKey: .maxDuplicateWarnings),
            maxCommentsPerUserPerNotice: try c.decodeIfPresent(Int.self, forKey: .maxCommentsPerUserPerNotice)
                ?? Self.defaultMaxCommentsPerUserPerNotice)
    }
}

/// The CCER rules as data, versioned like the other policies. [rule] values are from the
/// Measures for voluntary GHG emission reduction trading (trial, 2023) as DOMAIN.md §8 gives
/// them; the others are marked [unverified] in docs/ccer.md.
public struct CCERPolicy: Hashable, Codable, Sendable {
    public var version: Int
    public var note: String
    public var calendar: WorkingDayCalendar
    /// Public notice of the project design document, working days [rule: 20].
    public var designNoticeWorkingDays: Int
    /// Public notice of a reduction report, working days [unverified: 20].
    public var reductionNoticeWorkingDays: Int
    /// The registry reviews a project registration within this many working days [rule: 15].
    public var registrationReviewWorkingDays: Int
    /// The registry reviews a reduction registration within this many working days [unverified: 15].
    public var reductionReviewWorkingDays: Int
    /// Construction must have started strictly after this date [issue 6: 2012-11-08].
    public var constructionStartAfter: CivilDate
    /// Reductions count only strictly after this date [issue 6: 2020-09-22].
    public var reductionsAfter: CivilDate
    /// Facilities covered by the national ETS (ids or names): no project inside one is eligible.
    /// A command may add more (the current list of key emitting entities' facilities).
    public var coveredFacilities: [String]
    /// Two names are "similar" (a likely duplicate) when one contains the other or their edit
    /// distance is at most this percentage of the longer one's length. A choice, not a rule.
    public var similarNamePercent: Int
    public var limits: CCERLimits

    public init(
        version: Int, note: String, calendar: WorkingDayCalendar, designNoticeWorkingDays: Int, reductionNoticeWorkingDays: Int,
        registrationReviewWorkingDays: Int, reductionReviewWorkingDays: Int, constructionStartAfter: CivilDate,
        reductionsAfter: CivilDate, coveredFacilities: [String], similarNamePercent: Int, limits: CCERLimits
    ) {
        self.version = version
        self.note = note
        self.calendar = calendar
        self.designNoticeWorkingDays = designNoticeWorkingDays
        self.reductionNoticeWorkingDays = reductionNoticeWorkingDays
        self.registrationReviewWorkingDays = registrationReviewWorkingDays
        self.reductionReviewWorkingDays = reductionReviewWorkingDays
        self.constructionStartAfter = constructionStartAfter
        self.reductionsAfter = reductionsAfter
        self.coveredFacilities = coveredFacilities
        self.similarNamePercent = similarNamePercent
        self.limits = limits
    }

    public static let standard = CCERPolicy(
        version: 1,
        note: "DOMAIN.md §8: notice 20 and review 15 working days for projects [rule]; the same for reductions [unverified]",
        calendar: .mainland, designNoticeWorkingDays: 20, reductionNoticeWorkingDays: 20, registrationReviewWorkingDays: 15,
        reductionReviewWorkingDays: 15, constructionStartAfter: CivilDate(year: 2012, month: 11, day: 8),
        reductionsAfter: CivilDate(year: 2020, month: 9, day: 22), coveredFacilities: [], similarNamePercent: 30,
        limits: .defaults)
}

extension CCERPolicy {
    /// The longest notice or review period a policy may set, in working days (a year's).
    public static let maxWorkingDays = 250

    /// Everything that keeps this policy from being published, as "field: why" lines (empty:
    /// none). Periods are 1 to `maxWorkingDays` working days; every limit is at least 1; one
    /// user's comments fit in a notice's; the covered facilities fit their limit and are named;
    /// the calendar passes its own checks.
    public func problems() -> [String] {
        var found: [String] = []
        for (name, days) in [
            ("designNoticeWorkingDays", designNoticeWorkingDays), ("reductionNoticeWorkingDays", reductionNoticeWorkingDays),
            ("registrationReviewWorkingDays", registrationReviewWorkingDays), ("reductionReviewWorkingDays", reductionReviewWorkingDays),
        ] where !(1...Self.maxWorkingDays).contains(days) {
            found.append("\(name): \(days) is outside 1-\(Self.maxWorkingDays) working days")
        }
        if !(0...100).contains(similarNamePercent) { found.append("similarNamePercent: \(similarNamePercent) is outside 0-100") }
        if note.allSatisfy(\.isWhitespace) { found.append("note: empty") }
        let l = limits
        for (name, value) in [
            ("maxTextLength", l.maxTextLength), ("maxNameLength", l.maxNameLength), ("maxCommentsPerNotice", l.maxCommentsPerNotice),
            ("maxCommentsPerUserPerNotice", l.maxCommentsPerUserPerNotice), ("maxFindingsPerReport", l.maxFindingsPerReport),
            ("maxDocumentsPerMethodology", l.maxDocumentsPerMethodology), ("maxMethodologies", l.maxMethodologies),
            ("maxBodies", l.maxBodies), ("maxProjects", l.maxProjects), ("maxPeriodsPerProject", l.maxPeriodsPerProject),
            ("maxCoveredFacilities", l.maxCoveredFacilities), ("maxOtherRegistrations", l.maxOtherRegistrations),
            ("maxDuplicateWarnings", l.maxDuplicateWarnings),
        ] where value < 1 {
            found.append("limits.\(name): \(value) is below 1")
        }
        if l.maxQuantityT < 1 { found.append("limits.maxQuantityT: \(l.maxQuantityT) is below 1") }
        if l.maxCommentsPerUserPerNotice > l.maxCommentsPerNotice {
            found.append("limits.maxCommentsPerUserPerNotice: \(l.maxCommentsPerUserPerNotice) is above maxCommentsPerNotice \(l.maxCommentsPerNotice)")
        }
        if coveredFacilities.count > l.maxCoveredFacilities {
            found.append("coveredFacilities: \(coveredFacilities.count) is above limits.maxCoveredFacilities \(l.maxCoveredFacilities)")
        }
        if coveredFacilities.contains(where: { $0.allSatisfy(\.isWhitespace) }) { found.append("coveredFacilities: an empty name") }
        found += calendar.problems().map { "calendar: \($0)" }
        return found
    }
}
