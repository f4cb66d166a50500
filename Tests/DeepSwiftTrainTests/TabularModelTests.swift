import DeepSwiftAutodiff
import DeepSwiftData
import DeepSwiftNN
import DeepSwiftOptim
import DeepSwiftTensor
import DeepSwiftTestSupport
import DeepSwiftTrain
import Foundation
import Testing

@Suite struct TabularModelTests {
    /// `deepswift train tabular`'s pipeline on Iris: ≥ 95% on the held-out fifth.
    @Test func irisTrainsAboveNinetyFivePercent() throws {
        let data = try TabularData(CSV.read(Fixtures.path("data/iris.csv")))
        let (trainRows, testRows) = try data.splitRows(testFraction: 0.2, seed: 42, stratifyBy: "species")
        #expect(trainRows.count == 120 && testRows.count == 30 && Set(trainRows).isDisjoint(with: testRows))
        let (pipeline, train) = try TabularPipeline.fit(data.rows(trainRows), label: "species", task: .classification)
        let test = try pipeline.apply(data.rows(testRows))
        #expect(pipeline.classes == ["setosa", "versicolor", "virginica"] && pipeline.featureNames.count == 4)
        let network = TabularModel.network(inputs: 4, hidden: [16], outputs: 3, seed: 42)
        let trainer = Trainer(model: network, optimizer: Adam(network.parameters, learningRate: 1e-2)) {
            Losses.softmaxCrossEntropy(logits: $0, labels: $1)
        }
        _ = try trainer.fit(train, epochs: 100, batchSize: 32, seed: 42)
        let accuracy = DeepSwiftTrain.accuracy(logits: network.predict(test.features), labels: test.labels)
        #expect(accuracy >= 0.95, "held-out accuracy \(accuracy)")
        // The pipeline survives a JSON round trip and transforms new rows identically.
        let restored = try JSONDecoder().decode(TabularPipeline.self, from: JSONEncoder().encode(pipeline))
        #expect(restored == pipeline)
        expectClose(try restored.apply(data.rows(testRows)).features, test.features, rtol: 0, atol: 0)
    }
}
