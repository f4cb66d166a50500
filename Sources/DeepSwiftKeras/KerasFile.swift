import DeepSwiftIO
import DeepSwiftTensor
import Foundation

/// The two Keras file layouts behind one interface: the model configuration and each layer's
/// weights in Keras's `layer.weights` order.
///
/// - legacy `.h5` (Keras 2 and 3): the `model_config` attribute; weights under
///   `model_weights/<layer>/`, named and ordered by the layer group's `weight_names` attribute;
/// - `.keras` (Keras 3): a zip with `config.json` and `model.weights.h5`, whose
///   `layers/<group>/vars/<i>` datasets follow the object tree (an RNN's weights sit in its
///   `cell`, a Bidirectional's in `forward_layer` and `backward_layer`, ...).
final class KerasFile {
    let path: String
    let config: JSON
    let format: String
    private let hdf5: HDF5File
    private let legacyRoot: String?
    private var groupsByLayerName: [String: String] = [:]

    init(path: String) throws {
        self.path = path
        let data: Data
        do { data = try NumPy.readFile(path) } catch { throw ModelFileError(.unreadable, file: path, nil, "cannot read the file") }
        if data.starts(with: HDF5File.signature) {
            format = "h5"
            hdf5 = try HDF5File(path: path)
            guard let text = try hdf5.stringAttribute("model_config", of: "/") else {
                throw ModelFileError(.notRecognized, file: path, nil,
                                     "an HDF5 file without a 'model_config' attribute: weights only (save_weights) or not a Keras model; save the whole model with model.save()")
            }
            do { config = try JSON.parse(Data(text.utf8)) } catch {
                throw ModelFileError(.corrupt, file: path, "attribute 'model_config'", "is not valid JSON")
            }
            legacyRoot = hdf5.kind("model_weights") == .group ? "model_weights" : ""
        } else if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            format = "keras"
            let zip: ZipArchive
            do { zip = try ZipArchive(data: data, file: path) } catch { throw ModelFileError.wrapping(error, file: path) }
            func member(_ name: String) throws -> Data {
                do {
                    guard let bytes = try zip.contents(named: name) else {
                        throw ModelFileError(.notRecognized, file: path, nil, "a zip file without '\(name)': not a Keras 3 .keras archive")
                    }
                    return bytes
                } catch let error as ModelFileError { throw error } catch { throw ModelFileError.wrapping(error, file: path) }
            }
            do { config = try JSON.parse(try member("config.json")) } catch let error as ModelFileError { throw error } catch {
                throw ModelFileError(.corrupt, file: path, "entry 'config.json'", "is not valid JSON")
            }
            let weights: Data
            do {
                guard let entry = zip.entries.first(where: { $0.name == "model.weights.h5" }) else {
                    throw ModelFileError(.notRecognized, file: path, nil, "a zip file without 'model.weights.h5': not a Keras 3 .keras archive")
                }
                weights = try zip.storedContents(of: entry)
            } catch let error as ModelFileError { throw error } catch { throw ModelFileError.wrapping(error, file: path) }
            hdf5 = try HDF5File(image: weights, displayName: path + ": model.weights.h5")
            legacyRoot = nil
            // Groups are named after the layer class; the layer's own name is the `vars` group's attribute.
            if hdf5.kind("layers") == .group {
                for group in try hdf5.children("layers") {
                    let name = (try? hdf5.stringAttribute("name", of: "layers/\(group)/vars")) ?? nil
                    groupsByLayerName[name ?? group] = "layers/\(group)"
                }
            }
        } else {
            throw ModelFileError(.notRecognized, file: path, nil, "neither a Keras .keras archive (zip) nor an HDF5 .h5 file")
        }
    }

    /// The weights of the layer called `name`, in `layer.weights` order.
    func weights(of name: String, className: String) throws -> [Tensor] {
        try weightPaths(of: name, className: className).map { try hdf5.dataset($0) }
    }

    /// A Dense layer's kernel `[in, out]` read straight into DeepSwift's `[out, in]` layout (block by
    /// block, without a second full-size buffer), and its bias.
    func denseWeights(of name: String) throws -> (kernel: Tensor, bias: Tensor?, count: Int) {
        let paths = try weightPaths(of: name, className: "Dense")
        guard let first = paths.first else { return (Tensor.zeros([0, 0]), nil, 0) }
        return (try hdf5.datasetTransposed2D(first), paths.count > 1 ? try hdf5.dataset(paths[1]) : nil, paths.count)
    }

    /// The dataset paths of a layer's weights, in `layer.weights` order.
    func weightPaths(of name: String, className: String) throws -> [String] {
        if let root = legacyRoot {
            let group = root.isEmpty ? name : root + "/" + name
            guard hdf5.kind(group) == .group else { return [] }
            let names = try hdf5.stringAttributes("weight_names", of: group) ?? []
            return names.map { group + "/" + $0 }
        }
        guard let group = groupsByLayerName[name] else { return [] }
        return try collect(group, className: className)
    }

    private func collect(_ group: String, className: String?, depth: Int = 0) throws -> [String] {
        guard depth < 16 else { throw ModelFileError(.corrupt, file: path, "group '\(group)'", "nested more than 16 levels (a link cycle?)") }
        var result: [String] = []
        let members = try hdf5.children(group)
        if members.contains("vars") {
            let indices = try hdf5.children(group + "/vars").compactMap(Int.init).sorted()
            for i in indices { result.append("\(group)/vars/\(i)") }
        }
        let preferred: [String]
        switch className {
        case "LSTM", "GRU", "SimpleRNN": preferred = ["cell"]
        case "Bidirectional": preferred = ["forward_layer", "backward_layer"]
        case "MultiHeadAttention": preferred = ["query_dense", "key_dense", "value_dense", "output_dense"]
        case "TimeDistributed": preferred = ["layer"]
        default: preferred = []
        }
        let others = members.filter { $0 != "vars" && !preferred.contains($0) && hdf5.kind(group + "/" + $0) == .group }.sorted()
        for sub in preferred.filter(members.contains) + others {
            let nestedClass: String? = className == "Bidirectional" ? "LSTM" : nil   // forward/backward layers hold a `cell`
            result += try collect(group + "/" + sub, className: nestedClass, depth: depth + 1)
        }
        return result
    }
}
