// A JSON object: its entries in file order. Keys compare by their UTF-8 bytes, not by Unicode
// canonical equivalence (a vocabulary may hold both "é" and "e\u{301}" as different tokens).

/// A JSON object that keeps its entries in the order they were written.
///
/// A key repeated in the text keeps both entries (iteration sees both, as a vocabulary reader
/// must); lookup by key returns the last one, as Python's `json` does. Lookup scans the entries,
/// so read large objects (vocabularies, tensor tables) by iterating them.
public struct JSONObject: Sendable, Equatable, RandomAccessCollection,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    /// One key and its value.
    public typealias Element = (key: String, value: JSONValue)

    /// The entries in order.
    public private(set) var entries: [Element]

    /// An empty object.
    public init() { entries = [] }

    /// An object with these entries, in this order (repeated keys are kept).
    public init(_ entries: [(String, JSONValue)]) { self.entries = entries.map { (key: $0.0, value: $0.1) } }

    /// An object from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }

    /// An object from a list of pairs, `[("role", .string("user"))]`, in order.
    public init(arrayLiteral elements: (String, JSONValue)...) { self.init(elements) }

    /// 0.
    public var startIndex: Int { 0 }
    /// The number of entries (repeated keys counted).
    public var endIndex: Int { entries.count }
    /// The entry at `position`, in file order.
    public subscript(position: Int) -> Element { entries[position] }

    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// The value of `key` (the last entry with that key), or nil. Setting replaces that entry's
    /// value in place, or appends a new entry; setting nil removes every entry with the key.
    public subscript(key: String) -> JSONValue? {
        get { lastIndex(of: key).map { entries[$0].value } }
        set {
            if let newValue {
                if let i = lastIndex(of: key) { entries[i].value = newValue } else { entries.append((key, newValue)) }
            } else {
                entries.removeAll { JSONObject.same($0.key, key) }
            }
        }
    }

    /// Sets `key` (appended at the end if new).
    public mutating func set(_ key: String, _ value: JSONValue) { self[key] = value }

    /// Appends an entry without looking for an existing one (the parser's path).
    public mutating func append(_ key: String, _ value: JSONValue) { entries.append((key, value)) }

    private func lastIndex(of key: String) -> Int? {
        var i = entries.count - 1
        while i >= 0 {
            if JSONObject.same(entries[i].key, key) { return i }
            i -= 1
        }
        return nil
    }

    /// Byte-wise key equality.
    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    /// Equal when both hold the same keys (by bytes) with equal values, in any order, as Python
    /// dicts compare; for a repeated key its last value counts.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        if a.entries.count == b.entries.count,
           zip(a.entries, b.entries).allSatisfy({ same($0.key, $1.key) && $0.value == $1.value }) {
            return true
        }
        return a.lastValues() == b.lastValues()
    }

    private func lastValues() -> [KeyBytes: JSONValue] {
        Dictionary(entries.map { (KeyBytes($0.key), $0.value) }, uniquingKeysWith: { _, last in last })
    }
}
