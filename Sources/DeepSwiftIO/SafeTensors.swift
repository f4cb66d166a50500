import DeepSwiftTensor
import Foundation

/// The safetensors format (Hugging Face, PyTorch's `safetensors.torch.save_file`): an 8-byte
/// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range,
/// then the raw little-endian data.
///
/// ```swift
/// try SafeTensors.save(["weight": w, "bias": b], to: "layer.safetensors", metadata: ["format": "pt"])
/// let tensors = try SafeTensors.load("layer.safetensors")        // ["weight": ..., "bias": ...]
/// ```
/// float16 and bfloat16 tensors are widened to float32 on load; int8/int16/uint16+ are widened
/// to int32/int64. Every malformed header, out-of-range offset, overlapping range or truncated
/// file throws a ``ModelFileError``.
public enum SafeTensors {
    /// Reads every tensor of a safetensors file.
    public static func load(_ path: String) throws -> [String: Tensor] {
        let data: Data
        do { data = try NumPy.readFile(path) } catch { throw ModelFileError.wrapping(error, file: path) }
        return try decode(data, file: path).tensors
    }

    /// Reads the metadata (`__metadata__`) of a safetensors file.
    public static func metadata(_ path: String) throws -> [String: String] {
        let data: Data
        do { data = try NumPy.readFile(path) } catch { throw ModelFileError.wrapping(error, file: path) }
        return try decode(data, file: path).metadata
    }

    /// Writes tensors (in name order) and string metadata, atomically.
    public static func save(_ tensors: [String: Tensor], to path: String, metadata: [String: String] = [:]) throws {
        do { try NumPy.writeFileAtomically(encode(tensors, metadata: metadata), to: path) } catch {
            throw ModelFileError.wrapping(error, file: path)
        }
    }

    static func code(for dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .float64: return "F64"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The bytes of a safetensors file.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        var header = "{"
        func quoted(_ s: String) -> String {
            // JSONSerialization escapes exactly as JSON requires.
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append(quoted("__metadata__") + ":{" + metadata.keys.sorted().map { quoted($0) + ":" + quoted(metadata[$0]!) }.joined(separator: ",") + "}")
        }
        let names = tensors.keys.sorted()
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let size = t.count * t.dtype.byteSize
            parts.append(quoted(name) + ":{\"dtype\":\"\(code(for: t.dtype))\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += parts.joined(separator: ",") + "}"
        // The data starts 8-byte aligned (as the reference writer pads with spaces).
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var data = Data(capacity: 8 + header.utf8.count + offset)
        let length = UInt64(header.utf8.count)
        data.append(contentsOf: (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) })
        data.append(contentsOf: Array(header.utf8))
        for name in names {
            let t = tensors[name]!.contiguous()
            data.append(Data(bytes: t.storage.pointer + t.offset * t.dtype.byteSize, count: t.count * t.dtype.byteSize))
        }
        return data
    }

    /// Decodes the bytes of a safetensors file; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ kind: ModelFileError.Kind, _ location: String?, _ detail: String) -> ModelFileError {
            ModelFileError(kind, file: file, location, detail)
        }
        guard data.count >= 8 else { throw fail(.truncated, nil, "\(data.count) bytes: too short for a safetensors file (8-byte header length expected)") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard length <= 100_000_000 else { throw fail(.notRecognized, nil, "header length \(length) is implausible; not a safetensors file") }
        guard UInt64(data.count) >= 8 + length else {
            throw fail(.truncated, nil, "the header needs \(length) bytes after the length field, the file has \(data.count - 8)")
        }
        let headerData = data[data.startIndex + 8 ..< data.startIndex + 8 + Int(length)]
        guard let object = try? JSONSerialization.jsonObject(with: headerData), let header = object as? [String: Any] else {
            throw fail(.corrupt, "header", "the header is not a JSON object")
        }
        let base = 8 + Int(length), available = data.count - base
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else { throw fail(.corrupt, "__metadata__", "expected an object of strings") }
                for (k, v) in entries {
                    guard let text = v as? String else { throw fail(.corrupt, "__metadata__.\(k)", "expected a string, found \(type(of: v))") }
                    metadata[k] = text
                }
                continue
            }
            let place = "tensor '\(name)'"
            guard let info = value as? [String: Any], let code = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any], let offsets = info["data_offsets"] as? [Any], offsets.count == 2 else {
                throw fail(.corrupt, place, "expected {dtype, shape, data_offsets: [begin, end]}")
            }
            let shape = try shapeValues.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0, (v as? NSNumber)?.doubleValue == Double(n) else {
                    throw fail(.corrupt, place, "shape \(shapeValues) has an entry that is not a non-negative integer")
                }
                return n
            }
            guard let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue, begin >= 0, end >= begin else {
                throw fail(.corrupt, place, "data_offsets \(offsets) are not an increasing pair of non-negative integers")
            }
            guard end <= available else {
                throw fail(.truncated, place, "data ends at byte \(end) of the data section, which has \(available) bytes")
            }
            guard let count = Tensor.elementCount(ofUntrustedShape: shape, limit: 1 << 40) else {
                throw fail(.corrupt, place, "shape \(shape) is too large")
            }
            let width: Int
            switch code {
            case "F64", "I64", "U64": width = 8
            case "F32", "I32", "U32": width = 4
            case "F16", "BF16", "I16", "U16": width = 2
            case "I8", "U8", "BOOL": width = 1
            default: throw fail(.unsupported, place, "dtype '\(code)' is not supported; supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL")
            }
            guard end - begin == count * width else {
                throw fail(.corrupt, place, "shape \(shape) \(code) needs \(count * width) bytes, data_offsets give \(end - begin)")
            }
            if end > begin { ranges.append((begin, end, name)) }   // empty tensors occupy no bytes
            tensors[name] = data.withUnsafeBytes { raw in
                decodeTensor(raw.baseAddress! + base + begin, code: code, shape: shape, count: count)
            }
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail(.corrupt, "tensor '\(b.2)'", "its bytes overlap those of '\(a.2)'")
        }
        return (tensors, metadata)
    }

    private static func decodeTensor(_ source: UnsafeRawPointer, code: String, shape: [Int], count: Int) -> Tensor {
        func widened<S, T>(_ s: S.Type, _ dtype: DType, _ t: T.Type, _ convert: (S) -> T) -> Tensor {
            Tensor(shape: shape, dtype: dtype) { bytes in
                let out = bytes.assumingMemoryBound(to: T.self)
                for i in 0..<count { out[i] = convert(source.loadUnaligned(fromByteOffset: i * MemoryLayout<S>.size, as: S.self)) }
            }
        }
        switch code {
        case "F32", "F64", "I32", "I64", "U8", "BOOL":
            let dtype: DType = ["F32": .float32, "F64": .float64, "I32": .int32, "I64": .int64, "U8": .uint8, "BOOL": .bool][code]!
            return Tensor(shape: shape, dtype: dtype) { bytes in
                if count > 0 { bytes.copyMemory(from: source, byteCount: count * dtype.byteSize) }
                if dtype == .bool {
                    let p = bytes.assumingMemoryBound(to: UInt8.self)
                    for i in 0..<count where p[i] > 1 { p[i] = 1 }
                }
            }
        case "F16": return widened(UInt16.self, .float32, Float.self) { Float(Float16(bitPattern: $0)) }
        case "BF16": return widened(UInt16.self, .float32, Float.self) { Float(bitPattern: UInt32($0) << 16) }
        case "I16": return widened(Int16.self, .int32, Int32.self) { Int32($0) }
        case "U16": return widened(UInt16.self, .int32, Int32.self) { Int32($0) }
        case "I8": return widened(Int8.self, .int32, Int32.self) { Int32($0) }
        case "U32": return widened(UInt32.self, .int64, Int64.self) { Int64($0) }
        default: return widened(UInt64.self, .int64, Int64.self) { Int64(bitPattern: $0) }   // U64
        }
    }
}
