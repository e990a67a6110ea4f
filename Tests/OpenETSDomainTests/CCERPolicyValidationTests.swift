import OpenETSDomain
import Testing

/// A CCER policy a regulator publishes (`openets ccer policy publish`) is checked by
/// `CCERPolicy.problems()`: the built-in one passes; each broken constraint is named by its field.
@Suite("CCER policy: the constraints a published version must meet")
struct CCERPolicyValidationTests {
    @Test func theBuiltInPolicyPasses() {
        #expect(CCERPolicy.standard.problems() == [])
    }

    @Test func eachBrokenConstraintIsNamed() {
        func problems(_ change: (inout CCERPolicy) -> Void) -> [String] {
            var policy = CCERPolicy.standard
            change(&policy)
            return policy.problems()
        }
        #expect(problems { $0.designNoticeWorkingDays = 0 } == ["designNoticeWorkingDays: 0 is outside 1-250 working days"])
        #expect(problems { $0.reductionReviewWorkingDays = 251 } == ["reductionReviewWorkingDays: 251 is outside 1-250 working days"])
        #expect(problems { $0.similarNamePercent = 101 } == ["similarNamePercent: 101 is outside 0-100"])
        #expect(problems { $0.note = "  " } == ["note: empty"])
        #expect(problems { $0.limits.maxProjects = 0 } == ["limits.maxProjects: 0 is below 1"])
        #expect(problems { $0.limits.maxQuantityT = -1 } == ["limits.maxQuantityT: -1 is below 1"])
        #expect(problems { $0.limits.maxCommentsPerUserPerNotice = 0 } == ["limits.maxCommentsPerUserPerNotice: 0 is below 1"])
        #expect(problems { $0.limits.maxCommentsPerUserPerNotice = $0.limits.maxCommentsPerNotice + 1 }
            == ["limits.maxCommentsPerUserPerNotice: \(CCERPolicy.standard.limits.maxCommentsPerNotice + 1) is above maxCommentsPerNotice \(CCERPolicy.standard.limits.maxCommentsPerNotice)"])
        #expect(problems { $0.coveredFacilities = ["", "Plant A"] } == ["coveredFacilities: an empty name"])
        #expect(problems {
            $0.limits.maxCoveredFacilities = 1
            $0.coveredFacilities = ["Plant A", "Plant B"]
        } == ["coveredFacilities: 2 is above limits.maxCoveredFacilities 1"])
        // Several at once: all of them.
        #expect(problems {
            $0.designNoticeWorkingDays = 0
            $0.limits.maxBodies = 0
        }.count == 2)
    }
}
