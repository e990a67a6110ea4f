/// Verifier rating (issue 4 §8): per verifier and data year, from the quality of its work
/// (errors the regulators found afterwards), compliance (verifications concluded among those
/// due) and timeliness (concluded by the sector's deadline), weighted by the year's
/// `VerifierRatingPolicy`; and the published ranking. A pure function of the state.
public struct VerifierRatingPolicy: Hashable, Codable, Sendable {
    public var qualityWeight: ExactDecimal
    public var complianceWeight: ExactDecimal
    public var timelinessWeight: ExactDecimal
    /// Quality points (of 100) lost per review return, averaged over the verifier's reports.
    public var pointsPerError: ExactDecimal
    /// Decimals the scores are rounded to, half up.
    public var scorePlaces: Int

    public init(qualityWeight: ExactDecimal, complianceWeight: ExactDecimal, timelinessWeight: ExactDecimal, pointsPerError: ExactDecimal, scorePlaces: Int) {
        self.qualityWeight = qualityWeight
        self.complianceWeight = complianceWeight
        self.timelinessWeight = timelinessWeight
        self.pointsPerError = pointsPerError
        self.scorePlaces = scorePlaces
    }

    /// Our choice, not from a source [unverified]: quality 0.5, compliance 0.2, timeliness 0.3;
    /// 20 points per error; 2 decimals.
    public static let seed = VerifierRatingPolicy(
        qualityWeight: ExactDecimal("0.5")!, complianceWeight: ExactDecimal("0.2")!, timelinessWeight: ExactDecimal("0.3")!,
        pointsPerError: ExactDecimal(20), scorePlaces: 2)
}

/// One verifier's rating for one data year. Scores are 0–100.
public struct VerifierRating: Hashable, Codable, Sendable {
    public var verifier: VerifierID
    public var name: String
    public var year: Int
    /// Reports of the year the verifier is assigned to.
    public var reports: Int
    /// Review returns (city, province or national) of those reports: errors found after the
    /// verifier concluded.
    public var errors: Int
    /// Reports whose verification was due (deadline passed) or is concluded.
    public var due: Int
    /// Of those, concluded (and not returned since).
    public var concluded: Int
    /// Of those concluded, concluded by the verification deadline.
    public var onTime: Int
    public var quality: ExactDecimal
    public var compliance: ExactDecimal
    public var timeliness: ExactDecimal
    public var score: ExactDecimal
    /// 1 = best; equal scores share a rank (1, 2, 2, 4).
    public var rank: Int
}

public enum MRVVerifierRating {
    /// The ranking of every verifier with at least one report of `policy.year`, best first (by
    /// score, then verifier id), as of a Beijing date.
    public static func ranking(_ state: MRVState, asOf: CivilDate, policy: MRVPlatformPolicy) -> [VerifierRating] {
        let year = policy.year
        let weights = policy.rating
        var byVerifier: [VerifierID: [AnnualReport]] = [:]
        for (key, report) in state.reports where key.year == year {
            if let verifier = report.verifier { byVerifier[verifier, default: []].append(report) }
        }
        var ratings: [VerifierRating] = []
        for (verifier, reports) in byVerifier {
            var errors = 0, due = 0, concluded = 0, onTime = 0
            for report in reports {
                errors += report.reviews.count { !$0.approved }
                let isConcluded = report.concludedAt != nil
                if isConcluded || asOf > report.verificationDeadline { due += 1 }
                if isConcluded {
                    concluded += 1
                    if !report.verificationLate { onTime += 1 }
                }
            }
            let places = weights.scorePlaces
            let hundred = ExactDecimal(100)
            // quality = max(0, 100 − pointsPerError × errors / reports)
            let lost = share(try? weights.pointsPerError.multiplied(by: ExactDecimal(Int64(errors))), reports.count, places) ?? hundred
            let quality = lost >= hundred ? ExactDecimal.zero.rounded(places) : MRVAnomalies.minus(hundred, lost)!.rounded(places)
            let compliance = due == 0 ? hundred.rounded(places) : share(ExactDecimal(Int64(concluded) * 100), due, places)!
            // Timeliness: concluded on time among those due, so overdue reports not concluded count against it too.
            let timeliness = due == 0 ? hundred.rounded(places) : share(ExactDecimal(Int64(onTime) * 100), due, places)!
            let weighted = [(weights.qualityWeight, quality), (weights.complianceWeight, compliance), (weights.timelinessWeight, timeliness)]
            var exact = ExactDecimal.zero
            for (weight, value) in weighted { exact = (try? exact.adding((try? weight.multiplied(by: value)) ?? .zero)) ?? exact }
            let score = (try? exact.rounded(to: places)) ?? exact
            ratings.append(
                VerifierRating(
                    verifier: verifier, name: state.verifiers[verifier]?.name ?? verifier.rawValue, year: year, reports: reports.count,
                    errors: errors, due: due, concluded: concluded, onTime: onTime, quality: quality, compliance: compliance,
                    timeliness: timeliness, score: score, rank: 0))
        }
        ratings.sort { a, b in a.score != b.score ? a.score > b.score : a.verifier < b.verifier }
        for index in ratings.indices {
            ratings[index].rank = index > 0 && ratings[index].score == ratings[index - 1].score ? ratings[index - 1].rank : index + 1
        }
        return ratings
    }

    /// `value / count` rounded half up to `places`.
    static func share(_ value: ExactDecimal?, _ count: Int, _ places: Int) -> ExactDecimal? {
        guard let value, count > 0 else { return nil }
        return MRVAnomalies.ratio(value, ExactDecimal(Int64(count)), places: places)
    }
}

extension ExactDecimal {
    /// Rounded half up to `places` (within range: scores of 0–100).
    fileprivate func rounded(_ places: Int) -> ExactDecimal { (try? rounded(to: places)) ?? self }
}
