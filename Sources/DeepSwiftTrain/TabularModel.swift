import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import Foundation

/// What a tabular model predicts.
public enum TabularTask: String, Codable, Sendable {
    case classification, regression
}

/// The fitted data pipeline of a tabular model: categorical feature columns one-hot encoded,
/// numeric features standardized, the label turned into class indices (classification) or a
/// standardized target (regression). Fitted on training rows, applied unchanged to any other rows,
/// and Codable so it is saved with the model.
///
/// ```swift
/// let data = try TabularData(CSV.read("iris.csv"))
/// let (pipeline, train) = try TabularPipeline.fit(data, label: "species", task: .classification)
/// let test = try pipeline.apply(otherRows)
/// ```
public struct TabularPipeline: Codable, Sendable, Equatable {
    public let label: String
    public let task: TabularTask
    public let process: TransformProcess
    public let featureNames: [String]
    public let features: Normalizer
    /// Class names (classification) in index order.
    public let classes: [String]?
    /// Target scaling (regression).
    public let target: Normalizer?

    /// Fits the pipeline on `data` and returns it with the transformed training set.
    public static func fit(_ data: TabularData, label: String, task: TabularTask) throws -> (TabularPipeline, DataSet) {
        let labelIndex = try data.index(of: label)
        var steps: [TransformStep] = [.removeRowsWithMissing([label])]
        for (name, column) in zip(data.names, data.columns) where name != label {
            if case .text = column { steps.append(.categoricalToOneHot(column: name, categories: nil)) }
        }
        var classes: [String]? = nil
        if task == .classification {
            steps.append(.categoricalToInteger(column: label, categories: nil))
        } else if case .text = data.columns[labelIndex] {
            throw DataError.mismatch(file: data.file, field: "type of label column '\(label)'", expected: "numbers (regression)", actual: "text")
        }
        var process = TransformProcess(steps)
        let transformed = try process.fitApply(data)
        if case .categoricalToInteger(_, let fitted)? = process.steps.last, task == .classification { classes = fitted }
        let featureNames = transformed.names.filter { $0 != label }
        let x = try transformed.matrix(featureNames, dtype: .float64)
        let features = Normalizer.standardize(fitting: x)
        var target: Normalizer? = nil
        if task == .regression { target = Normalizer.standardize(fitting: try transformed.matrix([label], dtype: .float64)) }
        let pipeline = TabularPipeline(label: label, task: task, process: process, featureNames: featureNames, features: features,
                                       classes: classes, target: target)
        return (pipeline, try pipeline.dataSet(transformed))
    }

    /// Transforms rows with the fitted pipeline (a category not seen in fitting is an error naming its row).
    public func apply(_ data: TabularData) throws -> DataSet { try dataSet(process.apply(data)) }

    func dataSet(_ transformed: TabularData) throws -> DataSet {
        // Missing feature values become the training mean (0 after standardizing).
        let x = features.transform(try transformed.matrix(featureNames, dtype: .float64))
        let filled = Tensor.where(x.isNaN(), Tensor(0.0), x).cast(to: .float32)
        let y = try transformed.matrix([label], dtype: .float64).reshaped([-1])
        switch task {
        case .classification: return DataSet(features: filled, labels: y.cast(to: .int64))
        case .regression: return DataSet(features: filled, labels: target!.transform(y.reshaped([-1, 1])).reshaped([-1]).cast(to: .float32))
        }
    }
}

/// A multilayer perceptron for tabular data with its pipeline (`deepswift train tabular`).
public enum TabularModel {
    /// Dense layers with ReLU between them, `inputs → hidden... → outputs`.
    public static func network(inputs: Int, hidden: [Int], outputs: Int, seed: UInt64) -> Sequential {
        var rng = PhiloxGenerator(seed: seed)
        var layers: [any Layer] = []
        var width = inputs
        for h in hidden {
            layers.append(Dense(width, h, activation: .relu, using: &rng))
            width = h
        }
        layers.append(Dense(width, outputs, using: &rng))
        return Sequential(layers)
    }
}
