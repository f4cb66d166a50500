import DeepSwiftAutodiff
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import Foundation

/// The characters a character-level model knows, each with an id.
public struct CharacterVocabulary: Sendable, Equatable {
    public let characters: [Character]
    private let ids: [Character: Int]

    /// The distinct characters of `text`, sorted by their Unicode scalars.
    public init(text: String) {
        self.init(characters: Array(Set(text)).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) })
    }

    public init(characters: [Character]) {
        self.characters = characters
        ids = Dictionary(characters.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var count: Int { characters.count }

    /// Ids of `text`; a character outside the vocabulary is an error that names it and its position.
    public func encode(_ text: String) throws -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(text.count)
        for (position, character) in text.enumerated() {
            guard let id = ids[character] else { throw CharacterModelError.unknownCharacter(character, position: position) }
            result.append(id)
        }
        return result
    }

    public func decode(_ ids: [Int]) -> String { String(ids.map { characters[$0] }) }
}

public enum CharacterModelError: Error, CustomStringConvertible, Equatable {
    case unknownCharacter(Character, position: Int)
    case textTooShort(characters: Int, needed: Int)
    case invalidFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownCharacter(c, position):
            return "character \(String(reflecting: String(c))) at position \(position) is not in the model's vocabulary"
        case let .textTooShort(characters, needed):
            return "the text has \(characters) characters; training windows need at least \(needed)"
        case let .invalidFile(path, reason):
            return "\(path): not a character model file: \(reason)"
        }
    }
}

/// A character-level language model: embedding → LSTM (all steps) → dense layer to the
/// vocabulary at every step, trained with cross-entropy over all positions.
///
/// ```swift
/// let vocabulary = CharacterVocabulary(text: corpus)
/// let model = CharacterLanguageModel(vocabulary: vocabulary, embedding: 64, hidden: 256, seed: 1)
/// let optimizer = Adam(model.parameters, learningRate: 1e-3)
/// var rng = PhiloxGenerator(seed: 2)
/// let ids = try vocabulary.encode(corpus)
/// for _ in 0..<1000 { model.trainStep(windows: model.randomWindows(ids, count: 32, length: 64, using: &rng), optimizer: optimizer) }
/// print(model.generate(prime: "The ", length: 200, temperature: 0.8, using: &rng))
/// try model.save(to: "model.npz")
/// ```
public final class CharacterLanguageModel {
    public let vocabulary: CharacterVocabulary
    public let embedding: Embedding
    public let lstm: LSTM
    public let output: Dense

    public init(vocabulary: CharacterVocabulary, embedding dimension: Int, hidden: Int, seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        self.vocabulary = vocabulary
        embedding = Embedding(count: vocabulary.count, dimension: dimension, using: &rng)
        lstm = LSTM(inputSize: dimension, hiddenSize: hidden, using: &rng)
        output = Dense(hidden, vocabulary.count, using: &rng)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        embedding.namedParameters.map { ("embedding." + $0.name, $0.parameter) } + lstm.namedParameters.map { ("lstm." + $0.name, $0.parameter) }
            + output.namedParameters.map { ("output." + $0.name, $0.parameter) }
    }

    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Logits `[B, T, V]` for ids `[B, T]`, and the final LSTM states.
    public func logits(_ ids: Tensor, state: [Variable]? = nil) -> (Variable, [Variable]) {
        let (sequence, states) = lstm(embedding(Variable(ids)), initialState: state)
        return (output(sequence), states)
    }

    /// `count` windows of `length + 1` consecutive ids starting at random positions: `[count, length + 1]`.
    public func randomWindows(_ ids: [Int], count: Int, length: Int, using rng: inout PhiloxGenerator) -> Tensor {
        precondition(ids.count > length, "randomWindows: \(ids.count) ids cannot hold a window of \(length + 1)")
        let starts = Tensor.randomInt([count], low: 0, high: ids.count - length, using: &rng).scalars(as: Int64.self)
        var values = [Int64]()
        values.reserveCapacity(count * (length + 1))
        for s in starts { values += ids[Int(s)...(Int(s) + length)].map(Int64.init) }
        return Tensor(values, shape: [count, length + 1])
    }

    /// Mean cross-entropy of predicting each next character of `windows [B, T + 1]`.
    public func loss(windows: Tensor) -> Variable {
        let steps = windows.shape[1] - 1
        let inputs = windows.narrowed(axis: 1, start: 0, length: steps).contiguous()
        let targets = windows.narrowed(axis: 1, start: 1, length: steps).contiguous()
        return Losses.sequenceCrossEntropy(logits: logits(inputs).0, labels: targets)
    }

    /// One optimizer step on `windows`; returns the loss before the step.
    @discardableResult
    public func trainStep(windows: Tensor, optimizer: any Optimizer) -> Double {
        optimizer.zeroGrad()
        let l = loss(windows: windows)
        l.backward()
        optimizer.step()
        return Double(l.value.item(as: Float.self))
    }

    /// One data-parallel optimizer step: every member passes the same global `windows [B, T + 1]`
    /// (draw them from identically seeded generators), computes the loss on its contiguous share
    /// of the rows, and the gradients are summed across the members during backward, so every
    /// member takes the step one process would take on all of `windows`. Returns the global loss.
    /// ```swift
    /// let averager = GradientAverager(parameters: model.parameters, communicator: world)
    /// model.synchronizeParameters(world)
    /// let loss = model.trainStep(windows: model.randomWindows(ids, count: 32, length: 64, using: &rng),
    ///                            optimizer: adam, averager: averager)
    /// ```
    @discardableResult
    public func trainStep(windows: Tensor, optimizer: any Optimizer, averager: GradientAverager) -> Double {
        let communicator = averager.communicator, total = windows.shape[0]
        let first = total * communicator.rank / communicator.size
        let count = total * (communicator.rank + 1) / communicator.size - first
        optimizer.zeroGrad()
        averager.beginStep()
        var sum: [Double] = [0]
        if count > 0 {
            let l = loss(windows: windows.narrowed(axis: 0, start: first, length: count).contiguous())
            sum[0] = Double(l.value.item(as: Float.self)) * Double(count)
            // Each row has the same number of steps, so weighting the local mean by its share of
            // the rows makes the sum over the members the global mean.
            (l * (Double(count) / Double(total))).backward(nil) { averager.gradientReady($0) }
        }
        averager.finishStep()
        let global = communicator.allreduceSum(sum)[0] / Double(total)
        optimizer.step()
        return global
    }

    /// Copies rank 0's weights to every member (call once before data-parallel training).
    public func synchronizeParameters(_ communicator: any Communicator) {
        FlatParameters.broadcast(parameters, over: communicator)
    }

    /// Continues `prime` by `length` characters, sampling from softmax(logits / temperature)
    /// (temperature 0 picks the most likely character).
    public func generate(prime: String, length: Int, temperature: Double, using rng: inout PhiloxGenerator) throws -> String {
        var primeIds = try vocabulary.encode(prime)
        if primeIds.isEmpty { primeIds = [Int(Tensor.randomInt([1], low: 0, high: vocabulary.count, using: &rng).scalars(as: Int64.self)[0])] }
        return Gradients.withoutRecording {
            let wasTraining = lstm.isTraining
            lstm.isTraining = false
            defer { lstm.isTraining = wasTraining }
            var (logits, state) = self.logits(Tensor(primeIds.map(Int64.init), shape: [1, primeIds.count]))
            var generated: [Int] = []
            for _ in 0..<length {
                let last = logits.value.selected(axis: 1, index: logits.shape[1] - 1).reshaped([-1]).cast(to: .float64)
                let next = sample(last, temperature: temperature, using: &rng)
                generated.append(next)
                (logits, state) = self.logits(Tensor([Int64(next)], shape: [1, 1]), state: state)
            }
            return prime + vocabulary.decode(generated)
        }
    }

    private func sample(_ logits: Tensor, temperature: Double, using rng: inout PhiloxGenerator) -> Int {
        let values = logits.scalars(as: Double.self)
        if temperature <= 0 { return values.indices.max { values[$0] < values[$1] } ?? 0 }
        let top = values.max() ?? 0
        let weights = values.map { Foundation.exp(($0 - top) / temperature) }
        let total = weights.reduce(0, +)
        var u = Tensor.uniform([1], dtype: .float64, using: &rng).item(as: Double.self) * total
        for (i, w) in weights.enumerated() {
            u -= w
            if u <= 0 { return i }
        }
        return weights.count - 1
    }

    /// Saves the vocabulary, sizes and weights as one `.npz` file (written atomically).
    public func save(to path: String) throws {
        var arrays: [String: Tensor] = [:]
        for (name, p) in namedParameters { arrays["param." + name] = p.value }
        arrays["vocabulary"] = Tensor(vocabulary.characters.map { Int64($0.unicodeScalars.first!.value) }, shape: [vocabulary.count])
        arrays["config"] = Tensor([Int64(embedding.dimension), Int64(lstm.hiddenSize)], shape: [2])
        try NumPy.saveArchive(arrays, to: path)
    }

    /// Loads a model written by ``save(to:)``; a file that is not one throws
    /// ``CharacterModelError/invalidFile(path:reason:)`` naming what is wrong.
    public static func load(from path: String) throws -> CharacterLanguageModel {
        let arrays = try NumPy.loadArchive(path)
        guard let config = arrays["config"], config.shape == [2], config.dtype == .int64 else {
            throw CharacterModelError.invalidFile(path: path, reason: "missing or malformed 'config' (expected int64 [2])")
        }
        guard let codes = arrays["vocabulary"], codes.rank == 1, codes.dtype == .int64, codes.count > 0 else {
            throw CharacterModelError.invalidFile(path: path, reason: "missing or malformed 'vocabulary' (expected non-empty int64 [V])")
        }
        let sizes = config.scalars(as: Int64.self)
        guard sizes.allSatisfy({ $0 > 0 && $0 < 1 << 20 }) else {
            throw CharacterModelError.invalidFile(path: path, reason: "config \(sizes) is not a pair of positive sizes")
        }
        var characters: [Character] = []
        for code in codes.scalars(as: Int64.self) {
            guard let scalar = UInt32(exactly: code).flatMap(Unicode.Scalar.init) else {
                throw CharacterModelError.invalidFile(path: path, reason: "vocabulary entry \(code) is not a Unicode scalar")
            }
            characters.append(Character(scalar))
        }
        let model = CharacterLanguageModel(vocabulary: CharacterVocabulary(characters: characters), embedding: Int(sizes[0]),
                                           hidden: Int(sizes[1]), seed: 0)
        for (name, p) in model.namedParameters {
            guard let value = arrays["param." + name] else {
                throw CharacterModelError.invalidFile(path: path, reason: "missing parameter '\(name)'")
            }
            guard value.shape == p.value.shape else {
                throw CharacterModelError.invalidFile(path: path, reason: "parameter '\(name)' has shape \(value.shape), expected \(p.value.shape)")
            }
            p.value = value.cast(to: p.value.dtype)
        }
        return model
    }
}
