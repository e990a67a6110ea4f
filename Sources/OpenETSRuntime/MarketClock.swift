import Foundation
import OpenETSApplication
import OpenETSDomain

/// A clock that reads the system time, or a simulated time that advances one millisecond per
/// reading. The demo seeds its trading history on simulated past trading days and then
/// switches to the system time; the crash writer and the durable-order benchmark trade inside
/// a simulated session.
public final class MarketClock: LedgerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var simulated: Int64?
    /// Drill mode: system time shifted by this many milliseconds.
    private var offset: Int64?

    public init() {}

    /// A clock at `hour:minute` Beijing time on `date`.
    public init(_ date: CivilDate, hour: Int, minute: Int) {
        simulated = BeijingTime.timestamp(date, hour: hour, minute: minute).millisecondsSinceEpoch
    }

    public func simulate(_ date: CivilDate, hour: Int, minute: Int) {
        lock.lock()
        defer { lock.unlock() }
        simulated = BeijingTime.timestamp(date, hour: hour, minute: minute).millisecondsSinceEpoch
    }

    public func useSystemTime() {
        lock.lock()
        defer { lock.unlock() }
        simulated = nil
    }

    /// Drill mode, for demonstrations and browser tests: from now on the clock reads `start`
    /// plus the real time elapsed since this call. The journal records these drill times.
    public func drill(from start: Timestamp) {
        lock.lock()
        defer { lock.unlock() }
        simulated = nil
        offset = start.millisecondsSinceEpoch - SystemClock().now().millisecondsSinceEpoch
    }

    public func now() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        guard let current = simulated else {
            let real = SystemClock().now().millisecondsSinceEpoch
            return Timestamp(millisecondsSinceEpoch: real + (offset ?? 0))
        }
        simulated = current + 1
        return Timestamp(millisecondsSinceEpoch: current + 1)
    }
}
