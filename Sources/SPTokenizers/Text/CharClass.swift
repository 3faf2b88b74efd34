/// Unicode character classes used by the pre-tokenizers, matching the reference library:
/// Oniguruma's `\p{L}`, `\p{N}`, `\s` (the White_Space property) for regex-based splits, Rust's
/// `char` predicates for the others. Answers for the Basic Multilingual Plane come from a table
/// built once; other planes ask the standard library directly.
enum CharClass {
    static let letter: UInt16 = 1  // \p{L}: Lu Ll Lt Lm Lo
    static let number: UInt16 = 2  // \p{N}: Nd Nl No (Rust char::is_numeric)
    static let space: UInt16 = 4  // White_Space (Oniguruma \s, Rust char::is_whitespace)
    static let mark: UInt16 = 8  // \p{M}: Mn Mc Me
    static let punct: UInt16 = 16  // \p{P} or ASCII punctuation (Rust is_ascii_punctuation || is_punctuation)
    static let alnum: UInt16 = 32  // Rust char::is_alphanumeric: Alphabetic or Numeric
    static let word: UInt16 = 64  // Rust regex \w: Alphabetic, M, Nd, Pc, Join_Control
    static let other: UInt16 = 128  // Cc Cf Co (the unicode_categories crate's `is_other`, used by BERT's clean-up)
    static let nonspacing: UInt16 = 256  // Mn
    static let decimal: UInt16 = 512  // Nd

    // The BMP table is built in 16 blocks of 4096 code points, each on first use (a `static let`
    // is initialized once, thread-safely), so short texts pay only for the blocks they touch.
    static func block(_ b: UInt32) -> [UInt16] { (0..<4096).map { compute(b << 12 | UInt32($0)) } }
    private enum B0 { static let t = block(0) }
    private enum B1 { static let t = block(1) }
    private enum B2 { static let t = block(2) }
    private enum B3 { static let t = block(3) }
    private enum B4 { static let t = block(4) }
    private enum B5 { static let t = block(5) }
    private enum B6 { static let t = block(6) }
    private enum B7 { static let t = block(7) }
    private enum B8 { static let t = block(8) }
    private enum B9 { static let t = block(9) }
    private enum B10 { static let t = block(10) }
    private enum B11 { static let t = block(11) }
    private enum B12 { static let t = block(12) }
    private enum B13 { static let t = block(13) }
    private enum B14 { static let t = block(14) }
    private enum B15 { static let t = block(15) }

    @inline(__always)
    static func flags(_ u: UInt32) -> UInt16 {
        let i = Int(u & 0xFFF)
        switch u >> 12 {
        case 0: return B0.t[i]
        case 1: return B1.t[i]
        case 2: return B2.t[i]
        case 3: return B3.t[i]
        case 4: return B4.t[i]
        case 5: return B5.t[i]
        case 6: return B6.t[i]
        case 7: return B7.t[i]
        case 8: return B8.t[i]
        case 9: return B9.t[i]
        case 10: return B10.t[i]
        case 11: return B11.t[i]
        case 12: return B12.t[i]
        case 13: return B13.t[i]
        case 14: return B14.t[i]
        case 15: return B15.t[i]
        default: return compute(u)
        }
    }

    @inline(__always)
    static func `is`(_ u: UInt32, _ f: UInt16) -> Bool { flags(u) & f != 0 }

    static func compute(_ u: UInt32) -> UInt16 {
        guard let s = Unicode.Scalar(u) else { return 0 }  // surrogate code points
        let p = s.properties
        var f: UInt16 = 0
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: f |= letter
        case .decimalNumber: f |= number | decimal
        case .letterNumber, .otherNumber: f |= number
        case .nonspacingMark: f |= mark | nonspacing
        case .spacingMark, .enclosingMark: f |= mark
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            f |= punct
        case .control, .format, .privateUse: f |= other
        default: break
        }
        if u < 0x80, (0x21...0x2F).contains(u) || (0x3A...0x40).contains(u) || (0x5B...0x60).contains(u)
            || (0x7B...0x7E).contains(u)
        {
            f |= punct
        }
        if p.isWhitespace { f |= space }
        if p.isAlphabetic || f & number != 0 { f |= alnum }
        if p.isAlphabetic || f & mark != 0 || f & decimal != 0 || p.generalCategory == .connectorPunctuation
            || p.isJoinControl
        {
            f |= word
        }
        return f
    }

    /// BERT's CJK ideograph ranges (tokenizers normalizers/bert.rs `is_chinese_char`).
    static func isChinese(_ u: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(u) || (0x3400...0x4DBF).contains(u) || (0x20000...0x2A6DF).contains(u)
            || (0x2A700...0x2B73F).contains(u) || (0x2B740...0x2B81F).contains(u) || (0x2B920...0x2CEAF).contains(u)
            || (0xF900...0xFAFF).contains(u) || (0x2F800...0x2FA1F).contains(u)
    }
}
