import DeepSwiftNN
import DeepSwiftTensor

/// A model's parameters and buffers as a flat dictionary of named tensors (PyTorch's
/// `state_dict`), saved and loaded as safetensors.
///
/// Names are DeepSwift's dotted names (`layers.0.weight`, `layers.1.running_mean`). `pytorchNames`
/// maps them to what `torch.nn.Sequential` writes (`0.weight`): the `layers.` segments of
/// sequential containers are dropped, and PyTorch's `num_batches_tracked` counters are ignored on load.
///
/// ```swift
/// try StateDict.save(model, to: "weights.safetensors", pytorchNames: true)
/// // Python: model.load_state_dict(safetensors.torch.load_file("weights.safetensors"))
/// try StateDict.load(into: model, from: "weights.safetensors", pytorchNames: true)
/// ```
public enum StateDict {
    /// The tensors of `model`, by name.
    public static func tensors(of model: any Layer, pytorchNames: Bool = false) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, p) in model.namedParameters { result[pytorchNames ? pytorchName(name) : name] = p.value }
        for (name, b) in model.namedBuffers { result[pytorchNames ? pytorchName(name) : name] = b.value }
        return result
    }

    /// `layers.3.weight` → `3.weight`, `features.layers.0.weight` → `features.0.weight`.
    public static func pytorchName(_ name: String) -> String {
        name.split(separator: ".").filter { $0 != "layers" }.joined(separator: ".")
    }

    public static func save(_ model: any Layer, to path: String, pytorchNames: Bool = false) throws {
        try SafeTensors.save(tensors(of: model, pytorchNames: pytorchNames), to: path, metadata: ["format": "pt"])
    }

    /// Loads a safetensors state dict into `model`. `strict`: every tensor of the model must be in
    /// the file and every tensor in the file must belong to the model (PyTorch's `strict=True`).
    public static func load(into model: any Layer, from path: String, pytorchNames: Bool = false, strict: Bool = true) throws {
        var tensors = try SafeTensors.load(path)
        if pytorchNames {
            let byPyTorchName = Dictionary(uniqueKeysWithValues: (model.namedParameters.map(\.name) + model.namedBuffers.map(\.name)).map { (pytorchName($0), $0) })
            var renamed: [String: Tensor] = [:]
            // PyTorch's batch norm counts its batches; DeepSwift's momentum is fixed, so the count is not needed.
            for (name, t) in tensors where !name.hasSuffix("num_batches_tracked") { renamed[byPyTorchName[name] ?? name] = t }
            tensors = renamed
        }
        try assign(tensors, to: model, file: path, strict: strict)
    }

    /// Assigns `tensors` to the model's parameters and buffers by name, checking every shape first
    /// (nothing is changed when any check fails).
    /// `keepFileDTypes`: the file's dtypes replace the model's (a model rebuilt from an archive);
    /// otherwise values are converted to each parameter's dtype.
    static func assign(_ tensors: [String: Tensor], to model: any Layer, file: String, strict: Bool, keepFileDTypes: Bool = false) throws {
        let parameters = model.namedParameters, buffers = model.namedBuffers
        var used = Set<String>()
        var updates: [(Tensor, (Tensor) -> Void)] = []
        func check(_ name: String, _ current: Tensor, kind: String) throws -> Tensor? {
            guard let value = tensors[name] else {
                if strict { throw ModelFileError(.missingTensor, file: file, "\(kind) '\(name)'", "the model needs it (shape \(current.shape)); the file does not have it") }
                return nil
            }
            guard value.shape == current.shape else {
                throw ModelFileError(.shapeMismatch, file: file, "tensor '\(name)'", "shape \(current.shape) expected, the file has \(value.shape)")
            }
            guard value.dtype.isFloatingPoint == current.dtype.isFloatingPoint else {
                throw ModelFileError(.shapeMismatch, file: file, "tensor '\(name)'", "dtype \(current.dtype) expected, the file has \(value.dtype)")
            }
            used.insert(name)
            return value
        }
        for (name, p) in parameters {
            if let value = try check(name, p.value, kind: "parameter") {
                updates.append((keepFileDTypes ? value : value.cast(to: p.value.dtype), { p.value = $0 }))
            }
        }
        for (name, b) in buffers {
            if let value = try check(name, b.value, kind: "buffer") {
                updates.append((keepFileDTypes ? value : value.cast(to: b.value.dtype), { b.value = $0 }))
            }
        }
        if strict, let extra = tensors.keys.sorted().first(where: { !used.contains($0) }) {
            throw ModelFileError(.unexpectedTensor, file: file, "tensor '\(extra)'", "belongs to no parameter or buffer of the model")
        }
        for (value, apply) in updates { apply(value) }
    }
}
