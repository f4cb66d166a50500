// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DeepSwift",
    products: [
        .library(name: "DeepSwift", targets: ["DeepSwift"]),
        .library(name: "DeepSwiftTensor", targets: ["DeepSwiftTensor"]),
        .executable(name: "deepswift", targets: ["deepswift"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries (C shims).
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CImageCodecs", path: "Sources/CImageCodecs", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev", "libturbojpeg0-dev"])]),
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),
        // Vectorized float32 math kernels (AVX-512 / AVX2 / baseline clones picked at load time).
        .target(name: "CDeepSwiftKernels", path: "Sources/CDeepSwiftKernels"),

        // oneDNN convolution and pooling primitives (libdnnl-dev, oneDNN 2.x C API).
        // Needs libdnnl-dev (Debian ships no pkg-config file for it; headers are in /usr/include).
        .target(
            name: "CDeepSwiftDNNL", path: "Sources/CDeepSwiftDNNL",
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("dl")]),

        // n-d arrays.
        .target(
            name: "DeepSwiftTensor",
            dependencies: ["COpenBLAS", "CZlib", "CDeepSwiftKernels"]),

        // Reverse-mode autodiff on a tape of vector-Jacobian products.
        .target(name: "DeepSwiftAutodiff", dependencies: ["DeepSwiftTensor"]),

        // Layers, activations, losses, initializers.
        .target(name: "DeepSwiftNN", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "CDeepSwiftDNNL", "CDeepSwiftKernels"]),

        // Optimizers and learning-rate schedules.
        .target(name: "DeepSwiftOptim", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "CDeepSwiftKernels"]),

        // Data sets and batching (MNIST, IDX files).
        .target(name: "DeepSwiftData", dependencies: ["DeepSwiftTensor", "CZlib"]),

        // Images: PNG/JPEG decoding, resizing, image folders, augmentation (a leaf).
        .target(name: "DeepSwiftVision", dependencies: ["DeepSwiftTensor", "DeepSwiftData", "CImageCodecs"]),

        // The training loop: fit, evaluate, predict, listeners, progress.
        .target(name: "DeepSwiftTrain", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftOptim", "DeepSwiftData", "CDeepSwiftKernels"]),

        // Data-parallel training on MPI (a leaf: only the CLI and users who want clusters link it).
        .target(name: "DeepSwiftDistributed", dependencies: ["DeepSwiftTensor", "DeepSwiftTrain", "CMPI"]),

        // Model files: the native archive (config JSON + safetensors weights + training state),
        // safetensors state dicts.
        .target(name: "DeepSwiftIO", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftOptim", "DeepSwiftData", "DeepSwiftTrain"]),

        // Keras import: .h5 (HDF5) and .keras files (a leaf: links libhdf5).
        .target(name: "DeepSwiftKeras", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftIO", "CHDF5"]),

        // ONNX import (a leaf: swift-protobuf; the ONNX message code is generated once and committed,
        // see scripts/generate_onnx_proto.sh).
        .target(name: "DeepSwiftONNX", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftIO",
                                                      .product(name: "SwiftProtobuf", package: "swift-protobuf")]),

        // Umbrella module for users.
        .target(name: "DeepSwift", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftOptim", "DeepSwiftData", "DeepSwiftTrain", "DeepSwiftVision"]),

        // Command-line tool.
        .executableTarget(
            name: "deepswift",
            dependencies: [
                "DeepSwift", "CDeepSwiftKernels", "DeepSwiftDistributed", "DeepSwiftIO", "DeepSwiftKeras", "DeepSwiftONNX",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests.
        .target(
            name: "DeepSwiftTestSupport", dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff"],
            path: "Tests/DeepSwiftTestSupport"),
        .testTarget(
            name: "DeepSwiftTensorTests",
            dependencies: [
                "DeepSwiftTensor", "DeepSwiftTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "DeepSwiftTrainTests",
            dependencies: ["CDeepSwiftKernels", "DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftOptim", "DeepSwiftData", "DeepSwiftTrain", "DeepSwiftTestSupport"]),
        .testTarget(
            name: "DeepSwiftOptimTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftOptim", "DeepSwiftTestSupport"]),
        .testTarget(
            name: "DeepSwiftNNTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftTestSupport"]),
        .testTarget(
            name: "DeepSwiftDataTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftData", "DeepSwiftVision", "DeepSwiftTestSupport"]),
        .testTarget(
            name: "DeepSwiftIOTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftOptim", "DeepSwiftData", "DeepSwiftTrain", "DeepSwiftIO", "DeepSwiftTestSupport"]),
        .testTarget(
            name: "DeepSwiftKerasTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftIO", "DeepSwiftKeras", "DeepSwiftTestSupport"]),
        .testTarget(
            name: "DeepSwiftONNXTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftNN", "DeepSwiftIO", "DeepSwiftONNX", "DeepSwiftTestSupport",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(
            name: "DeepSwiftAutodiffTests",
            dependencies: ["DeepSwiftTensor", "DeepSwiftAutodiff", "DeepSwiftTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
