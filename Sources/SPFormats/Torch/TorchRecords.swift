// Tensor records of a torch pickle: `_rebuild_tensor_v2(persistent_id(('storage', torch.XStorage,
// key, location, numel)), offset, size, stride, …)`, optionally wrapped in `_rebuild_parameter`,
// alone or in a (Ordered)dict of name → tensor. Every number is checked: the view must lie inside
// its storage, products must not overflow.

import Foundation

/// One tensor of a torch checkpoint: where its elements live and how the view walks them.
public struct TorchTensorRecord: Sendable, Equatable {
    /// The state-dict key (`""` for a file holding one tensor).
    public var name: String
    /// The storage's record key (`data/<key>` in the zip archive).
    public var storageKey: String
    /// Element type of the storage.
    public var dtype: SafetensorsDType
    /// Elements in the storage (torch's `numel` in the persistent id).
    public var storageCount: Int
    /// The storage location torch recorded (`cpu`, `cuda:0`, …); data is always read to the CPU.
    public var location: String
    /// First element of the view, in elements from the storage start.
    public var offset: Int
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Strides in elements.
    public var strides: [Int]

    /// Element count of the view.
    public var count: Int { shape.reduce(1, *) }
    /// Bytes per element.
    public var elementSize: Int { dtype.bits / 8 }

    /// True when the view is the row-major run of ``count`` elements starting at ``offset``.
    public var isContiguous: Bool {
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }
}

/// Reading torch pickles (`data.pkl`) into tensor records, through the restricted unpickler.
public enum TorchPickle {
    /// The tensors of a pickle stream: a lone tensor (named `""`) or a dict of name → tensor, in order.
    ///
    /// Only what `torch.load(weights_only=True)` would accept is read; any other global, call or
    /// opcode is refused with ``FormatError/malformed(file:what:reason:hint:)``. Nothing is executed.
    public static func tensorRecords(_ pickle: UnsafeRawBufferPointer, file: String) throws -> [TorchTensorRecord] {
        var reader = PickleReader(pickle, file: file)
        return try records(of: try reader.load(), file: file)
    }

    static func records(of root: PickleValue, file: String) throws -> [TorchTensorRecord] {
        guard case .dict(let items) = root else { return [try record(root, name: "", file: file)] }
        var out: [TorchTensorRecord] = []
        var position: [String: Int] = [:]
        for (k, v) in items {
            guard case .string(let name) = k else {
                throw FormatError.malformed(file: file, what: "torch state dict", reason: "a key is not a string",
                                            hint: "save a tensor or a dict of name → tensor")
            }
            let r = try record(v, name: name, file: file)
            // Python dict semantics: a repeated key keeps its first position and its last value.
            if let p = position[name] { out[p] = r } else { position[name] = out.count; out.append(r) }
        }
        return out
    }

    /// Interprets `_rebuild_tensor_v2(...)` (or `_rebuild_parameter(_with_state)` wrapping it).
    static func record(_ v: PickleValue, name: String, file: String) throws -> TorchTensorRecord {
        func bad(_ r: String) -> FormatError {
            .malformed(file: file, what: "torch tensor \(name.isEmpty ? "(root)" : name)", reason: r,
                       hint: "the checkpoint must hold tensors (a state dict of name → tensor), as torch.save writes them")
        }
        // A tensor with Python attributes: _rebuild_from_type_v2(func, torch.Tensor, args, state).
        if case .call(.global("torch._tensor", "_rebuild_from_type_v2"), let args) = v, args.count == 4,
           case .global(let tm, let tn) = args[1], TorchPickleAllowList.tensorTypes.contains(tm + "." + tn),
           case .tuple(let inner) = args[2] {
            return try record(.call(args[0], inner), name: name, file: file)
        }
        guard case .call(.global(let mod, let fn), let args) = v, mod == "torch._utils" else {
            throw bad("expected a tensor, found \(String(describing: v).prefix(80))")
        }
        if fn == "_rebuild_parameter" || fn == "_rebuild_parameter_with_state", let inner = args.first {
            return try record(inner, name: name, file: file)
        }
        guard fn == "_rebuild_tensor_v2", args.count >= 4,
              // ('storage', type, key, location, numel), plus view metadata (None) in the legacy format.
              case .persistent(.tuple(let pid)) = args[0], pid.count == 5 || (pid.count == 6 && pid[5] == .none),
              case .string("storage") = pid[0],
              case .global(let sm, let sn) = pid[1], case .string(let key) = pid[2],
              case .string(let location) = pid[3], case .int(let numel) = pid[4],
              case .int(let offset) = args[1], case .tuple(let sizeV) = args[2], case .tuple(let strideV) = args[3]
        else { throw bad("unsupported tensor record (\(String(describing: v).prefix(120)))") }
        guard let dtype = TorchPickleAllowList.storages[sm + "." + sn] else { throw bad("storage type \(sm).\(sn) is not supported") }
        let ints = { (xs: [PickleValue], what: String) throws -> [Int] in
            try xs.map { x in
                guard case .int(let i) = x, i >= 0 else { throw bad("\(what) must be non-negative integers") }
                return i
            }
        }
        let shape = try ints(sizeV, "size"), strides = try ints(strideV, "stride")
        guard shape.count == strides.count else { throw bad("size \(shape) and stride \(strides) ranks differ") }
        guard numel >= 0, offset >= 0, checkedProduct([numel, dtype.bits / 8]) != nil else {
            throw bad("storage of \(numel) elements at offset \(offset)")
        }
        guard let count = checkedProduct(shape) else { throw bad("size \(shape) overflows") }
        if count > 0 {
            // The last element the view touches must lie inside the storage.
            var last = offset
            for (n, s) in zip(shape, strides) {
                let (p, o1) = (n - 1).multipliedReportingOverflow(by: s)
                let (q, o2) = last.addingReportingOverflow(p)
                guard !o1, !o2 else { throw bad("view size \(shape) stride \(strides) overflows") }
                last = q
            }
            guard last < numel else {
                throw bad("view (offset \(offset), size \(shape), stride \(strides)) reaches element \(last) of a storage of \(numel)")
            }
        }
        return TorchTensorRecord(name: name, storageKey: key, dtype: dtype, storageCount: numel, location: location,
                                 offset: offset, shape: shape, strides: strides)
    }

    /// Copies the view's elements from `storage` (the storage's bytes) into `dst` in row-major
    /// order; `dst` must hold ``TorchTensorRecord/count`` × element size bytes.
    static func gather(_ r: TorchTensorRecord, from storage: UnsafeRawPointer, into dst: UnsafeMutableRawPointer) {
        let size = r.elementSize, count = r.count
        if r.isContiguous {
            dst.copyMemory(from: storage + r.offset * size, byteCount: count * size)
            return
        }
        var index = [Int](repeating: 0, count: r.shape.count)
        for n in 0..<count {
            var e = r.offset
            for d in 0..<r.shape.count { e += index[d] * r.strides[d] }
            (dst + n * size).copyMemory(from: storage + e * size, byteCount: size)
            var d = r.shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < r.shape[d] { break }; index[d] = 0; d -= 1 }
        }
    }
}
