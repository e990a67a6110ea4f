/// Stable error codes of the CCER voluntary market: clients and tests match on `code`, never on
/// the message. docs/ccer.md lists when each one fires.
public enum CCERErrorCode: String, Codable, Sendable, CaseIterable {
    /// A malformed field: empty text, bad code, bad hash, bad decimal, non-positive number.
    case invalidArgument = "INVALID_ARGUMENT"
    /// Over a named limit (the message names it).
    case limitExceeded = "LIMIT_EXCEEDED"
    /// A required input field is missing (calculators).
    case missingField = "MISSING_FIELD"
    /// A CCER policy a regulator tries to publish breaks its own constraints (the message names
    /// every problem: a non-positive period or limit, a calendar fault, …).
    case invalidPolicy = "INVALID_POLICY"
    case unknownMethodology = "UNKNOWN_METHODOLOGY"
    case duplicateMethodology = "DUPLICATE_METHODOLOGY"
    case unknownProject = "UNKNOWN_PROJECT"
    case unknownPeriod = "UNKNOWN_PERIOD"
    case unknownBody = "UNKNOWN_BODY"
    /// The registry has no such account (a project owner must have one before submitting).
    case unknownAccount = "UNKNOWN_ACCOUNT"
    /// The unit type is not a credit accepted for this use (voluntary neutrality).
    case notAcceptedForUse = "NOT_ACCEPTED_FOR_USE"
    case duplicateBody = "DUPLICATE_BODY"
    /// The validation or verification body is not (or no longer) accredited.
    case notAccredited = "NOT_ACCREDITED"
    /// The command names another account than the project's owner.
    case notOwner = "NOT_OWNER"
    /// The project or monitoring period is not at the stage this command needs.
    case wrongStage = "WRONG_STAGE"
    /// The public notice is still running: validation or verification must wait for its end.
    case noticeNotEnded = "NOTICE_NOT_ENDED"
    /// The public notice has ended: no more comments.
    case noticeClosed = "NOTICE_CLOSED"
    /// The commenter already made `CCERLimits.maxCommentsPerUserPerNotice` comments on this
    /// notice (others may still comment).
    case commentLimitPerUser = "COMMENT_LIMIT_PER_USER"
    case datesOutOfOrder = "DATES_OUT_OF_ORDER"
    /// Eligibility: construction must have started after 2012-11-08.
    case constructionTooEarly = "CONSTRUCTION_TOO_EARLY"
    /// Eligibility: reductions only after 2020-09-22.
    case reductionsTooEarly = "REDUCTIONS_TOO_EARLY"
    /// Eligibility: the project sits inside a facility covered by the national ETS.
    case coveredFacility = "COVERED_FACILITY"
    /// Eligibility (uniqueness): the project is registered under another scheme.
    case registeredElsewhere = "REGISTERED_ELSEWHERE"
    /// Eligibility (uniqueness): same normalised name, location and owner as a live project.
    case duplicateProject = "DUPLICATE_PROJECT"
    /// The crediting period breaks the methodology's rule (length).
    case creditingPeriodInvalid = "CREDITING_PERIOD_INVALID"
    /// A monitoring period outside the project's crediting period.
    case outsideCreditingPeriod = "OUTSIDE_CREDITING_PERIOD"
    /// A monitoring period that overlaps an earlier one.
    case periodOverlap = "PERIOD_OVERLAP"
    /// An earlier monitoring period is still between report and issuance.
    case periodInProgress = "PERIOD_IN_PROGRESS"
    /// The verified quantity exceeds the reported one (conservativeness).
    case quantityExceedsReported = "QUANTITY_EXCEEDS_REPORTED"
    /// Working-day arithmetic reached a year the holiday table does not cover.
    case calendarNotCovered = "CALENDAR_NOT_COVERED"
    /// Neutrality calculator: a travel mode the factor table does not know.
    case unknownTravelMode = "UNKNOWN_TRAVEL_MODE"
    /// Neutrality calculator: the factor table lacks a factor the input needs.
    case unknownFactor = "UNKNOWN_FACTOR"
}

public struct CCERError: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    public var code: CCERErrorCode
    public var message: String

    public init(_ code: CCERErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
