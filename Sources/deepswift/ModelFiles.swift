import DeepSwift
import DeepSwiftIO
import DeepSwiftKeras
import DeepSwiftONNX
import Foundation

/// Opens any model file the tool understands, recognised by its content (not its extension):
/// DeepSwift archives, Keras `.keras` / `.h5` files and ONNX models.
enum ModelFiles {
    enum Format: String { case native = "deepswift", keras, onnx }

    static func format(of path: String) throws -> Format {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelFileError(.unreadable, file: path, nil, FileManager.default.fileExists(atPath: path) ? "cannot open the file" : "file not found")
        }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        try? handle.close()
        if ModelArchive.looksLikeArchive(head) { return .native }
        if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .keras }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            // A zip: a .keras archive unless it says it is ours.
            let data = try NumPy.readFile(path)
            if KerasImporter.looksLikeKeras(data) { return .keras }
            return .native
        }
        if ONNXImporter.looksLikeONNX(head) { return .onnx }
        throw ModelFileError(.notRecognized, file: path, nil, "not a DeepSwift archive, Keras (.keras/.h5) or ONNX model")
    }

    static func load(_ path: String) throws -> (ModelArchive, Format) {
        LayerConfig.register(ONNXModel.self)   // archives of imported ONNX graphs
        let format = try format(of: path)
        switch format {
        case .native: return (try ModelArchive.load(from: path), format)
        case .keras: return (try KerasImporter.load(path), format)
        case .onnx: return (try ONNXImporter.load(path), format)
        }
    }

    /// Runs the model on one batch per input; returns one tensor per output.
    static func run(_ model: any Layer, _ inputs: [Tensor]) -> [Tensor] {
        Gradients.withoutRecording {
            if let multi = model as? any MultiInputOutputModel { return multi(inputs.map { Variable($0) }).map(\.value) }
            return [model(Variable(inputs[0])).value]
        }
    }
}
