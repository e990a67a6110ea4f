/// Uniqueness of projects (唯一性): normalised names and locations, and the similarity that
/// flags a likely duplicate.
public enum ProjectIdentity {
    /// Lowercase; full-width ASCII (ＡＢＣ１２３) as half-width; whitespace, punctuation and
    /// symbols dropped (spaces, 、，。（）·-_ …). Letters (including Chinese) and digits stay.
    public static func normalise(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            var s = scalar
            if (0xFF01...0xFF5E).contains(s.value), let half = Unicode.Scalar(s.value - 0xFEE0) { s = half }
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .decimalNumber, .letterNumber, .otherNumber:
                scalars.append(contentsOf: String(s).lowercased().unicodeScalars)
            default:
                continue
            }
        }
        return String(scalars)
    }

    /// Levenshtein distance over characters, two rows of memory. Inputs are bounded by the
    /// caller's name limit, so the quadratic cost is bounded too.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// Normalised texts that are equal, contain one another, or lie within `percent` % edits
    /// of the longer one.
    public static func similar(_ a: String, _ b: String, percent: Int) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return a == b }
        if a == b || a.contains(b) || b.contains(a) { return true }
        let longer = max(a.count, b.count)
        return editDistance(a, b) * 100 <= percent * longer
    }
}
