import CHDF5
import DeepSwiftIO
import DeepSwiftTensor
import Foundation

/// Read-only access to the parts of an HDF5 file that Keras writes: groups, string attributes and
/// numeric datasets. The HDF5 library is not thread-safe, so every call holds one lock.
///
/// ```swift
/// let file = try HDF5File(path: "model.h5")
/// let config = try file.stringAttribute("model_config", of: "/")
/// let kernel = try file.dataset("model_weights/dense/dense/kernel:0")
/// ```
final class HDF5File {
    private static let lock = NSLock()
    /// Errors are reported through return values, not printed (set before every open: the
    /// library's first initialization resets it).
    private static func silence() { H5Eset_auto2(ds_h5e_default(), nil, nil) }

    let path: String
    /// The name used in errors (e.g. `model.keras: model.weights.h5`).
    let displayName: String
    private let id: hid_t
    /// For in-memory files: the bytes HDF5 reads in place (kept alive and unchanged until close).
    private var image: Data?
    private var imageDescriptor: UnsafeMutablePointer<ds_h5_image>?

    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    init(path: String, displayName: String? = nil) throws {
        self.path = path
        self.displayName = displayName ?? path
        let name = displayName ?? path
        // HDF5 looks for its signature at 0, 512, 1024, ...; Keras files have it at 0.
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelFileError(.unreadable, file: name, nil, "cannot open the file") }
        let head = (try? handle.read(upToCount: 8)) ?? nil
        try? handle.close()
        guard let head, [UInt8](head) == Self.signature else {
            throw ModelFileError(.notRecognized, file: name, nil, "not an HDF5 file (no HDF5 signature at the start)")
        }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        H5open()
        Self.silence()
        let id = ds_h5_open_path(path)
        guard id >= 0 else { throw ModelFileError(.corrupt, file: name, nil, "HDF5 cannot open it (damaged or truncated)") }
        self.id = id
    }

    /// An HDF5 file held in memory (e.g. the weights inside a `.keras` archive).
    init(image: Data, displayName: String) throws {
        path = displayName
        self.displayName = displayName
        guard image.starts(with: Self.signature) else {
            throw ModelFileError(.notRecognized, file: displayName, nil, "not an HDF5 file (no HDF5 signature at the start)")
        }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        H5open()
        Self.silence()
        // Data does not move its bytes while it is alive and unmodified; HDF5 reads them in place.
        let descriptor = UnsafeMutablePointer<ds_h5_image>.allocate(capacity: 1)
        image.withUnsafeBytes { descriptor.pointee = ds_h5_image(buffer: UnsafeMutableRawPointer(mutating: $0.baseAddress!), size: $0.count) }
        let id = ds_h5_open_image(descriptor, "deepswift-image-\(UInt(bitPattern: descriptor))")
        guard id >= 0 else {
            descriptor.deallocate()
            throw ModelFileError(.corrupt, file: displayName, nil, "HDF5 cannot open it (damaged or truncated)")
        }
        self.id = id
        self.image = image
        imageDescriptor = descriptor
    }

    deinit {
        Self.lock.lock()
        H5Fclose(id)
        Self.lock.unlock()
        imageDescriptor?.deallocate()
        _ = image
    }

    enum Kind { case group, dataset, other, missing }

    func kind(_ objectPath: String) -> Kind {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if objectPath == "/" || objectPath.isEmpty { return .group }
        // Check each prefix: HDF5 reports a missing intermediate group as an error, not "absent".
        var prefix = ""
        for part in objectPath.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            let k = ds_h5_object_kind(id, prefix)
            if k < 0 { return .missing }
            if prefix.count < objectPath.count && k != 1 { return .missing }
            if prefix == objectPath.trimmingCharacters(in: CharacterSet(charactersIn: "/")) {
                return k == 1 ? .group : (k == 2 ? .dataset : .other)
            }
        }
        return .missing
    }

    /// Names of a group's members, in name order (HDF5's index order).
    func children(_ group: String) throws -> [String] {
        guard kind(group) == .group else { throw ModelFileError(.corrupt, file: displayName, "group '\(group)'", "is missing") }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        let g = H5Gopen2(id, group.isEmpty ? "/" : group, ds_h5p_default())
        guard g >= 0 else { throw ModelFileError(.corrupt, file: displayName, "group '\(group)'", "cannot be opened") }
        defer { H5Gclose(g) }
        var info = H5G_info_t()
        guard H5Gget_info(g, &info) >= 0 else { throw ModelFileError(.corrupt, file: displayName, "group '\(group)'", "cannot be listed") }
        guard info.nlinks < 1_000_000 else { throw ModelFileError(.corrupt, file: displayName, "group '\(group)'", "claims \(info.nlinks) members") }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, ds_h5p_default())
            guard length >= 0, length < 65_536 else { throw ModelFileError(.corrupt, file: displayName, "group '\(group)'", "member \(i) has no readable name") }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, ds_h5p_default())
            names.append(String(cString: buffer))
        }
        return names
    }

    /// A string attribute (or an array of strings, joined as a list) of a group or dataset, nil when absent.
    func stringAttributes(_ name: String, of object: String) throws -> [String]? {
        guard kind(object) != .missing else { return nil }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        let place = "attribute '\(name)' of '\(object)'"
        let target = object.isEmpty ? "/" : object
        guard H5Aexists_by_name(id, target, name, ds_h5p_default()) > 0 else { return nil }
        let attribute = H5Aopen_by_name(id, target, name, ds_h5p_default(), ds_h5p_default())
        guard attribute >= 0 else { throw ModelFileError(.corrupt, file: displayName, place, "cannot be opened") }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { throw ModelFileError(.corrupt, file: displayName, place, "has no readable type") }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        let count = Int(Swift.max(0, H5Sget_simple_extent_npoints(space)))
        // h5py writes an empty list as an empty float64 array.
        if count == 0 { return [] }
        guard H5Tget_class(type) == H5T_STRING else { throw ModelFileError(.corrupt, file: displayName, place, "is not a string") }
        guard count < 1_000_000 else { throw ModelFileError(.corrupt, file: displayName, place, "claims \(count) strings") }
        if count == 0 { return [] }
        if H5Tis_variable_str(type) > 0 {
            let memory = H5Tcopy(ds_h5t_c_s1())
            defer { H5Tclose(memory) }
            H5Tset_size(memory, ds_h5t_variable())
            H5Tset_cset(memory, H5Tget_cset(type))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard H5Aread(attribute, memory, &pointers) >= 0 else { throw ModelFileError(.corrupt, file: displayName, place, "cannot be read") }
            defer { for p in pointers { if let p { H5free_memory(p) } } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        let size = H5Tget_size(type)
        guard size > 0, size < 1 << 28, size * count < 1 << 30 else { throw ModelFileError(.corrupt, file: displayName, place, "has an implausible size") }
        var buffer = [UInt8](repeating: 0, count: size * count)
        let memory = H5Tcopy(type)
        defer { H5Tclose(memory) }
        guard H5Aread(attribute, memory, &buffer) >= 0 else { throw ModelFileError(.corrupt, file: displayName, place, "cannot be read") }
        return (0..<count).map { i in
            let slice = buffer[(i * size)..<((i + 1) * size)]
            return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    func stringAttribute(_ name: String, of object: String) throws -> String? {
        try stringAttributes(name, of: object)?.first
    }

    /// Opens a numeric dataset and its dataspace for `body`, under the library lock.
    private func withNumericDataset<T>(_ datasetPath: String, _ body: (_ dataset: hid_t, _ space: hid_t, _ place: String) throws -> T) throws -> T {
        guard kind(datasetPath) == .dataset else { throw ModelFileError(.missingTensor, file: displayName, "dataset '\(datasetPath)'", "is missing") }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        let place = "dataset '\(datasetPath)'"
        let d = H5Dopen2(id, datasetPath, ds_h5p_default())
        guard d >= 0 else { throw ModelFileError(.corrupt, file: displayName, place, "cannot be opened") }
        defer { H5Dclose(d) }
        let type = H5Dget_type(d)
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else { throw ModelFileError(.corrupt, file: displayName, place, "is not numeric") }
        let space = H5Dget_space(d)
        defer { H5Sclose(space) }
        return try body(d, space, place)
    }

    /// A numeric dataset as float32 (HDF5 converts from the stored type).
    func dataset(_ datasetPath: String) throws -> Tensor {
        try withNumericDataset(datasetPath) { d, space, place in
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0, rank <= 8 else { throw ModelFileError(.corrupt, file: displayName, place, "has rank \(rank)") }
            var dims = [hsize_t](repeating: 0, count: Swift.max(rank, 1))
            if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
            let shape = rank == 0 ? [] : dims.prefix(rank).map { Int(clamping: $0) }
            guard let count = Tensor.elementCount(ofUntrustedShape: shape, limit: 1 << 40), count <= 1 << 31 else {
                throw ModelFileError(.corrupt, file: displayName, place, "shape \(shape) is too large")
            }
            var status: herr_t = 0
            let tensor = Tensor(shape: shape, dtype: .float32) { bytes in
                status = count == 0 ? 0 : H5Dread(d, ds_h5t_native_float(), ds_h5s_all(), ds_h5s_all(), ds_h5p_default(), bytes)
            }
            guard status >= 0 else { throw ModelFileError(.truncated, file: displayName, place, "its data cannot be read (truncated or damaged file)") }
            return tensor
        }
    }

    /// A 2-D dataset `[rows, columns]` as its transpose `[columns, rows]`, read in blocks of rows
    /// into a small buffer and transposed from there (one full-size buffer instead of two).
    func datasetTransposed2D(_ datasetPath: String) throws -> Tensor {
        try withNumericDataset(datasetPath) { d, space, place in
            guard H5Sget_simple_extent_ndims(space) == 2 else { throw ModelFileError(.shapeMismatch, file: displayName, place, "is not a matrix") }
            var dims = [hsize_t](repeating: 0, count: 2)
            H5Sget_simple_extent_dims(space, &dims, nil)
            let rows = Int(clamping: dims[0]), columns = Int(clamping: dims[1])
            guard let count = Tensor.elementCount(ofUntrustedShape: [rows, columns], limit: 1 << 40), count <= 1 << 31 else { throw ModelFileError(.corrupt, file: displayName, place, "shape [\(rows), \(columns)] is too large") }
            let block = Swift.max(1, Swift.min(rows, (1 << 18) / Swift.max(columns, 1)))
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, block * columns))
            defer { scratch.deallocate() }
            var status: herr_t = 0
            let result = Tensor(shape: [columns, rows], dtype: .float32) { bytes in
                let out = bytes.assumingMemoryBound(to: Float.self)
                var r0 = 0
                while r0 < rows && status >= 0 {
                    let n = Swift.min(block, rows - r0)
                    var start: [hsize_t] = [hsize_t(r0), 0], extent: [hsize_t] = [hsize_t(n), hsize_t(columns)]
                    let memory = H5Screate_simple(2, &extent, nil)
                    defer { H5Sclose(memory) }
                    status = H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &extent, nil)
                    if status >= 0 { status = H5Dread(d, ds_h5t_native_float(), memory, space, ds_h5p_default(), scratch) }
                    if status < 0 { break }
                    // scratch [n, columns] → out[:, r0 ..< r0 + n]: contiguous writes, column ranges on
                    // every thread (a block of rows stays in the cache while it is read column-wise).
                    let source = UncheckedSendable(scratch), target = UncheckedSendable(out), first = r0
                    Parallel.forRanges(columns, grain: Swift.max(1, 16_384 / Swift.max(n, 1))) { range in
                        let s = source.value, o = target.value
                        for c in range {
                            let row = o + c * rows + first
                            for r in 0..<n { row[r] = s[r * columns + c] }
                        }
                    }
                    r0 += n
                }
            }
            guard status >= 0 else { throw ModelFileError(.truncated, file: displayName, place, "its data cannot be read (truncated or damaged file)") }
            return result
        }
    }
}
