import OpenETSDomain
import Testing

@Suite("Holdings and serial blocks")
struct HoldingTests {
    @Test func takingSplitsTheLowestBlockAndAddingMerges() {
        var holding = Holding()
        holding.addSerials([SerialRange(first: 1, last: 100)], tag: nil)
        let picked = holding.pickSerials(30, tag: nil)
        #expect(picked == [SerialRange(first: 1, last: 30)])
        holding.remove(Lot(quantity: 30, serials: picked!), tag: nil)
        #expect(holding.blocks == [HeldBlock(first: 31, quantity: 70, freeze: nil)])
        holding.addSerials([SerialRange(first: 11, last: 30)], tag: nil)
        #expect(holding.blocks == [HeldBlock(first: 11, quantity: 90, freeze: nil)], "adjacent free blocks merge")
        holding.addSerials([SerialRange(first: 1, last: 5)], tag: nil)
        #expect(holding.blocks.count == 2, "a gap keeps blocks apart")
        #expect(holding.pickSerials(7, tag: nil) == [SerialRange(first: 1, last: 5), SerialRange(first: 11, last: 12)])
        #expect(holding.pickSerials(96, tag: nil) == nil)
    }

    @Test func frozenBlocksDoNotMergeWithFreeOnes() {
        var holding = Holding()
        holding.addSerials([SerialRange(first: 1, last: 10)], tag: nil)
        holding.removeSerials(SerialRange(first: 4, last: 6), tag: nil)
        holding.addSerials([SerialRange(first: 4, last: 6)], tag: "FRZ-1")
        #expect(holding.blocks.map(\.quantity) == [3, 3, 4])
        #expect(holding.available == 7 && holding.quantity(frozenBy: "FRZ-1") == 3 && holding.total == 10)
        #expect(holding.pickSerials(5, tag: nil) == [SerialRange(first: 1, last: 3), SerialRange(first: 7, last: 8)])
        holding.removeSerials(SerialRange(first: 4, last: 6), tag: "FRZ-1")
        holding.addSerials([SerialRange(first: 4, last: 6)], tag: nil)
        #expect(holding.blocks == [HeldBlock(first: 1, quantity: 10, freeze: nil)])
    }

    @Test func fungibleHoldingsKeepOneBlockPerTagInCanonicalOrder() {
        var a = Holding()
        a.addFungible(100, tag: nil)
        a.addFungible(5, tag: "FRZ-2")
        a.addFungible(7, tag: "FRZ-1")
        var b = Holding()
        b.addFungible(7, tag: "FRZ-1")
        b.addFungible(60, tag: nil)
        b.addFungible(5, tag: "FRZ-2")
        b.addFungible(40, tag: nil)
        #expect(a == b, "equal contents compare equal whatever the order of operations")
        a.removeFungible(5, tag: "FRZ-2")
        #expect(a.blocks.count == 2 && a.total == 107)
    }

    /// Seeded: random takes and returns never lose, duplicate or invent a serial.
    @Test func randomSplitsAndMergesConserveSerials() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("HoldingTests seed=\(seed)")
        var rng = SplitMix64(seed: seed)
        var holdings = [Holding(), Holding(), Holding()]
        holdings[0].addSerials([SerialRange(first: 1, last: 1_000)], tag: nil)
        for _ in 0..<2_000 {
            let from = Int(rng.next() % 3), to = Int(rng.next() % 3)
            let quantity = Int64(rng.next() % 50) + 1
            guard from != to, let lot = holdings[from].pickSerials(quantity, tag: nil) else { continue }
            holdings[from].remove(Lot(quantity: quantity, serials: lot), tag: nil)
            holdings[to].add(Lot(quantity: quantity, serials: lot), tag: nil)
        }
        let blocks = holdings.flatMap(\.blocks).sorted { $0.first < $1.first }
        var next: Int64 = 1
        for block in blocks {
            #expect(block.first == next, "seed \(seed)")
            next = block.last + 1
        }
        #expect(next == 1_001, "seed \(seed)")
    }

    @Test func serialText() {
        let unit = UnitType(code: "CCER-P000123-2024", kind: .ccer, label: "CCER", vintageFrom: 2024, vintageTo: 2024, projectID: "P000123", issuer: "CN", serialized: true)
        #expect(unit.serialText(SerialRange(first: 1, last: 1_000)) == "CN-CCER-P000123-2024-000000000001-000000001000")
        let cea = UnitType(code: "CEA19-20", kind: .allowance, label: "CEA", vintageFrom: 2019, vintageTo: 2020, projectID: nil, issuer: "CN", serialized: true)
        #expect(cea.serialText(SerialRange(first: 42, last: 42)) == "CN-CEA-NA-2019-2020-000000000042-000000000042")
    }
}

/// Seeded: a fungible holding's quantity per tag (found by binary search) always equals the sum
/// over its blocks, through random locks, releases and moves.
@Suite("Fungible holding lookups")
struct FungibleHoldingLookupTests {
    @Test func quantityPerTagMatchesTheBlocks() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("FungibleHoldingLookupTests seed=\(seed)")
        var rng = SplitMix64(seed: seed)
        var holding = Holding()
        holding.addFungible(1_000_000, tag: nil)
        let tags: [FreezeID?] = [nil] + (0..<40).map { FreezeID("XO-\($0)") }
        for step in 0..<5_000 {
            let tag = tags[Int(rng.next() % UInt64(tags.count))]
            let quantity = Int64(rng.next() % 100) + 1
            if rng.next() % 2 == 0, holding.quantity(frozenBy: nil) >= quantity, tag != nil {
                holding.removeFungible(quantity, tag: nil)
                holding.addFungible(quantity, tag: tag)
            } else if tag != nil, holding.quantity(frozenBy: tag) >= quantity {
                holding.removeFungible(quantity, tag: tag)
                holding.addFungible(quantity, tag: nil)
            }
            for probe in tags {
                let summed = holding.blocks.reduce(Int64(0)) { $0 + ($1.freeze == probe ? $1.quantity : 0) }
                #expect(holding.quantity(frozenBy: probe) == summed, "seed \(seed) step \(step) tag \(String(describing: probe))")
            }
        }
        #expect(holding.total == 1_000_000 && holding.available == holding.quantity(frozenBy: nil))
    }
}
