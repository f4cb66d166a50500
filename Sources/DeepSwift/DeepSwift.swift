/// DeepSwift: deep learning for Swift on Linux servers.
///
/// Importing `DeepSwift` brings in every part of the framework that has landed:
///
/// ```swift
/// import DeepSwift
///
/// let x = Tensor.linspace(-3, 3, count: 7)
/// print(x.gelu())
/// ```
@_exported import DeepSwiftTensor
@_exported import DeepSwiftAutodiff
@_exported import DeepSwiftNN
@_exported import DeepSwiftOptim
@_exported import DeepSwiftData
@_exported import DeepSwiftTrain
@_exported import DeepSwiftVision
