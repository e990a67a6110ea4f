import Foundation
import OpenETSDomain
import Testing

/// `LayeredMap` and `AppendOnlyArray` must behave exactly as `Dictionary` and `Array`, copies
/// included (a copy never sees later changes of the original, nor the reverse).
@Suite("Shared collections")
struct SharedCollectionsTests {
    static func seed() -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["OPENETS_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("SharedCollectionsTests seed=\(seed) (OPENETS_SEED=\(seed) replays it)")
        return seed
    }

    /// Seeded: random sets, updates and removals over a small key space (so keys come back after
    /// their removal, in layers and in the top), with snapshots taken along the way that must
    /// keep their contents.
    /// Small tops, so that layers form, merge and shadow each other many times.
    @Test(arguments: [1, 7, 64])
    func layeredMapBehavesAsADictionary(mutableLimit: Int) {
        let seed = Self.seed()
        var random = SplitMix64(seed: seed)
        var map = LayeredMap<Int, Int>(mutableLimit: mutableLimit)
        var model: [Int: Int] = [:]
        var snapshots: [(LayeredMap<Int, Int>, [Int: Int])] = []
        for step in 0..<20_000 {
            let key = Int(random.next() % 3_000)
            switch random.next() % 10 {
            case 0..<6:
                map[key] = step
                model[key] = step
            case 6..<9:
                map[key] = nil
                model[key] = nil
            default:
                #expect(map[key] == model[key], "seed \(seed) step \(step): key \(key)")
            }
            #expect(map.count == model.count, "seed \(seed) step \(step)")
            if step % 1_999 == 0 { snapshots.append((map, model)) }
        }
        #expect(map.dictionary == model, "seed \(seed)")
        #expect(map == LayeredMap(model) && map.hashValue == LayeredMap(model).hashValue)
        for (snapshot, expected) in snapshots {
            #expect(snapshot.dictionary == expected && snapshot.count == expected.count, "seed \(seed): a copy changed")
        }
        #expect(Set(map.keys) == Set(model.keys) && map.values.sorted() == model.values.sorted())
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == model)
    }

    @Test func layeredMapRemovalOfAnAbsentKeyChangesNothing() {
        var map: LayeredMap<String, Int> = ["a": 1]
        map["b"] = nil
        #expect(map.count == 1 && map["a"] == 1 && map["b"] == nil && !map.isEmpty)
        map["a"] = nil
        #expect(map.isEmpty && map.dictionary.isEmpty && map == LayeredMap<String, Int>())
    }

    /// Seeded: appends and resets against an `Array`, with copies kept along the way.
    @Test func appendOnlyArrayBehavesAsAnArray() {
        let seed = Self.seed()
        var random = SplitMix64(seed: seed)
        var array = AppendOnlyArray<Int>()
        var model: [Int] = []
        var snapshots: [(AppendOnlyArray<Int>, [Int])] = []
        for step in 0..<20_000 {
            if random.next() % 5_000 == 0 {
                array.removeAll()
                model.removeAll()
            } else {
                array.append(step)
                model.append(step)
            }
            if step % 997 == 0 { snapshots.append((array, model)) }
        }
        #expect(Array(array) == model && array.count == model.count, "seed \(seed)")
        #expect(array.last == model.last && Array(array.suffix(700)) == Array(model.suffix(700)))
        if !model.isEmpty {
            let i = Int(random.next() % UInt64(model.count))
            #expect(array[i] == model[i], "seed \(seed): index \(i)")
        }
        #expect(array == AppendOnlyArray(model) && array.hashValue == AppendOnlyArray(model).hashValue)
        for (snapshot, expected) in snapshots { #expect(Array(snapshot) == expected, "seed \(seed): a copy changed") }
    }
}
