// The seed a sampling request gets when it names none.

/// Seeds drawn for sampling requests without one.
public enum GenerationSeed {
    /// A random seed in `0...Int64.max`: echoed in every result (caikit's `seed`, a uint64), it
    /// must come back digit-exact in JSON too, whose integers here are 64-bit signed (a full-range
    /// draw would be above `Int64.max` half the time and be written as a rounded float that a
    /// client could not reuse). Any uint64 a user sends is still accepted and used as given.
    public static func draw() -> UInt64 {
        var system = SystemRandomNumberGenerator()
        return UInt64.random(in: 0...UInt64(Int64.max), using: &system)
    }
}
