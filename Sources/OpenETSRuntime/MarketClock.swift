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

    public func now() -> Timestamp {
        lock.lock()
        defer { lock.unlock() }
        guard let current = simulated else { return SystemClock().now() }
        simulated = current + 1
        return Timestamp(millisecondsSinceEpoch: current + 1)
    }
}
