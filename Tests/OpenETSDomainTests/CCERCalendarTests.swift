import OpenETSDomain
import Testing

@Suite("CCER working-day calendar: weekends, holidays, make-up working days (hand-checked)")
struct CCERCalendarTests {
    let calendar = WorkingDayCalendar.mainland
    func day(_ text: String) -> CivilDate { CivilDate(text)! }

    @Test func theShippedTableIsConsistent() throws {
        #expect(calendar.problems() == [])
        // Every holiday of the exchange's 2024-2026 table is an official holiday, except the
        // eve of the 2024 Spring Festival, an official working day the exchanges closed.
        for date in ExchangePolicy.standard.holidays where date != day("2024-02-09") {
            #expect(calendar.holidays.contains(date), "\(date)")
        }
        #expect(try calendar.isWorkingDay(day("2024-02-09")))
    }

    @Test func weekendsHolidaysAndMakeUpDays() throws {
        #expect(try calendar.isWorkingDay(day("2025-01-27")))  // Monday
        #expect(try !calendar.isWorkingDay(day("2025-01-25")))  // Saturday
        #expect(try !calendar.isWorkingDay(day("2025-01-28")))  // Spring Festival eve, a Tuesday
        #expect(try calendar.isWorkingDay(day("2025-01-26")))  // Sunday, make-up working day
        #expect(try calendar.isWorkingDay(day("2024-09-29")))  // Sunday, make-up working day
        #expect(try !calendar.isWorkingDay(day("2024-10-07")))  // Monday of National Day week
    }

    @Test func addingWorkingDaysAcrossTheSpringFestival() throws {
        // From Mon 2025-01-20: 21-24 Jan (4), Sun 26 Jan make-up (5), Mon 27 (6); 28 Jan-4 Feb
        // off; 5-7 Feb (9), Sat 8 Feb make-up (10), 10-14 Feb (15), 17-21 Feb (20).
        #expect(try calendar.addWorkingDays(day("2025-01-20"), 20) == day("2025-02-21"))
        #expect(try calendar.addWorkingDays(day("2025-01-20"), 5) == day("2025-01-26"))
        #expect(try calendar.addWorkingDays(day("2025-01-27"), 1) == day("2025-02-05"))
        #expect(try calendar.workingDays(between: day("2025-01-20"), and: day("2025-02-21")) == 20)
    }

    @Test func addingWorkingDaysAcrossNationalDay() throws {
        // From Mon 2024-09-23: 24-27 Sep (4), Sun 29 Sep make-up (5), Mon 30 Sep (6); 1-7 Oct off;
        // 8-11 Oct (10), Sat 12 Oct make-up (11), 14-17 Oct (15).
        #expect(try calendar.addWorkingDays(day("2024-09-23"), 15) == day("2024-10-17"))
        #expect(try calendar.addWorkingDays(day("2024-09-27"), 1) == day("2024-09-29"))
        #expect(try calendar.addWorkingDays(day("2024-09-30"), 1) == day("2024-10-08"))
        #expect(try calendar.addWorkingDays(day("2024-10-11"), 1) == day("2024-10-12"))
        #expect(try calendar.workingDays(between: day("2024-09-30"), and: day("2024-10-08")) == 1)
    }

    @Test func addingWorkingDaysAcrossQingmingAndLabourDay() throws {
        // From Tue 2025-04-01: 2-3 Apr (2), Fri 4 Apr off, 7-25 Apr (17), Sun 27 Apr make-up (18),
        // 28-29 Apr (20).
        #expect(try calendar.addWorkingDays(day("2025-04-01"), 20) == day("2025-04-29"))
        // From Wed 2025-04-30: 1-5 May off (Thu, Fri, weekend, Mon), 6-9 May (4), 12-23 May (14), 26 May (15).
        #expect(try calendar.addWorkingDays(day("2025-04-30"), 15) == day("2025-05-26"))
    }

    @Test func theStartDayIsNotCountedAndZeroIsTheSameDay() throws {
        // Friday + 1 = Monday; a Saturday start counts from Monday too.
        #expect(try calendar.addWorkingDays(day("2025-03-14"), 1) == day("2025-03-17"))
        #expect(try calendar.addWorkingDays(day("2025-03-15"), 1) == day("2025-03-17"))
        #expect(try calendar.addWorkingDays(day("2025-03-15"), 0) == day("2025-03-15"))
        #expect(try calendar.workingDays(between: day("2025-03-14"), and: day("2025-03-14")) == 0)
        #expect(try calendar.workingDays(between: day("2025-03-14"), and: day("2025-03-16")) == 0)
    }

    @Test func outsideTheTableItRefusesToGuess() {
        #expect(throws: CCERError.self) { try calendar.isWorkingDay(day("2027-01-04")) }
        do {
            _ = try calendar.addWorkingDays(day("2026-12-20"), 20)
            Issue.record("counted into 2027")
        } catch {
            #expect(error.code == .calendarNotCovered)
        }
        do {
            _ = try calendar.workingDays(between: day("2025-02-01"), and: day("2025-01-01"))
            Issue.record("counted backwards")
        } catch {
            #expect(error.code == .datesOutOfOrder)
        }
        do {
            _ = try calendar.addWorkingDays(day("2025-02-01"), -1)
            Issue.record("negative count")
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func aBrokenTableIsReported() {
        var broken = calendar
        broken.holidays.append(day("2025-03-15"))  // a Saturday
        broken.workingWeekends.append(day("2025-03-17"))  // a Monday
        broken.holidays.append(day("2030-01-01"))
        #expect(broken.problems().count == 3)
    }
}
