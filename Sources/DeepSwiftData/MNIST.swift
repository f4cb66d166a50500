import DeepSwiftTensor
import Foundation

/// The MNIST handwritten digits (LeCun et al.), read from the four IDX files, plain or gzipped.
///
/// Where the files are looked for, in order:
/// 1. the directory passed in (`--data DIR` on the command line);
/// 2. `$DEEPSWIFT_DATA/mnist`, then `$DEEPSWIFT_DATA`;
/// 3. the user cache: `$XDG_CACHE_HOME/deepswift/mnist` or `~/.cache/deepswift/mnist`;
/// 4. `../shared/data/mnist` and `shared/data/mnist` relative to the working directory (this
///    repository's test data).
///
/// ```swift
/// let (train, test) = try MNIST.load()            // features float32 [N, 784] in [0, 1], labels int64 [N]
/// let (train, test) = try MNIST.load(directory: "/data/mnist", flatten: false)   // [N, 1, 28, 28]
/// ```
public enum MNIST {
    public static let trainImages = "train-images-idx3-ubyte"
    public static let trainLabels = "train-labels-idx1-ubyte"
    public static let testImages = "t10k-images-idx3-ubyte"
    public static let testLabels = "t10k-labels-idx1-ubyte"

    /// The directories searched when none is given, in order.
    public static func searchPath(explicit: String? = nil) -> [String] {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        let environment = ProcessInfo.processInfo.environment
        if let data = environment["DEEPSWIFT_DATA"], !data.isEmpty { candidates += [data + "/mnist", data] }
        let cacheBase = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.cache")
        candidates.append(cacheBase + "/deepswift/mnist")
        let cwd = FileManager.default.currentDirectoryPath
        candidates += [cwd + "/../shared/data/mnist", cwd + "/shared/data/mnist"]
        return candidates.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// The path of `name` in `directory`, plain or `.gz`, if present.
    static func file(_ name: String, in directory: String) -> String? {
        for candidate in [directory + "/" + name, directory + "/" + name + ".gz"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// The first directory of the search path that holds all four files.
    public static func locate(explicit: String? = nil) throws -> String {
        let searched = explicit.map { [URL(fileURLWithPath: $0).standardizedFileURL.path] } ?? searchPath()
        for directory in searched
        where [trainImages, trainLabels, testImages, testLabels].allSatisfy({ file($0, in: directory) != nil }) {
            return directory
        }
        throw DataError.notFound(
            dataset: "MNIST", searched: searched,
            hint: "Put \(trainImages).gz, \(trainLabels).gz, \(testImages).gz and \(testLabels).gz (or the unpacked files) "
                + "in one of these directories, pass --data DIR, or set DEEPSWIFT_DATA to a directory that contains them "
                + "(DeepSwift does not download data).")
    }

    /// Loads the training (60,000) and test (10,000) sets. Pixels become float32 in [0, 1];
    /// labels are int64. `flatten: false` gives images as `[N, 1, 28, 28]`.
    public static func load(directory: String? = nil, flatten: Bool = true) throws -> (train: DataSet, test: DataSet) {
        let root = try locate(explicit: directory)
        func pair(_ images: String, _ labels: String) throws -> DataSet {
            let imagePath = file(images, in: root)!, labelPath = file(labels, in: root)!
            let x = try IDXFile.read(imagePath, expectedRank: 3)
            let y = try IDXFile.read(labelPath, expectedRank: 1)
            guard x.shape[0] == y.shape[0] else {
                throw DataError.mismatch(file: labelPath, field: "number of labels", expected: "\(x.shape[0]) (from \(imagePath))", actual: "\(y.shape[0])")
            }
            guard x.shape[1] == 28 && x.shape[2] == 28 else {
                throw DataError.badHeader(file: imagePath, field: "image size", expected: "28×28", actual: "\(x.shape[1])×\(x.shape[2])")
            }
            let maxLabel = y.max().scalarValue
            guard maxLabel <= 9 else {
                throw DataError.badHeader(file: labelPath, field: "label values", expected: "0...9", actual: "maximum \(Int(maxLabel))")
            }
            var pixels = x.cast(to: .float32)
            pixels /= 255.0  // in place: the only reference
            let features = flatten ? pixels.reshaped([x.shape[0], 784]) : pixels.reshaped([x.shape[0], 1, 28, 28])
            return DataSet(features: features, labels: y.cast(to: .int64))
        }
        return (try pair(trainImages, trainLabels), try pair(testImages, testLabels))
    }
}
