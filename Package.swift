// swift-tools-version:6.0
import PackageDescription

/// Hot numeric targets are always optimised (tests that train networks would take minutes
/// otherwise); release builds also drop bounds checks, debug builds keep them.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "wingtrack",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wingtrack", targets: ["wingtrack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The C walls: only MediaIO imports CFFmpeg, only WingNN imports COpenBLAS (and CKernels, below).
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Our own numeric kernels in C (only WingNN imports it), optimised in every configuration.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        .target(name: "MediaIO", dependencies: ["CFFmpeg"]),
        .target(name: "WingNN", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: fastMath),
        .target(name: "FaceGeometry", swiftSettings: fastMath),
        .target(name: "WingTrain", dependencies: ["WingNN", "FaceGeometry", "MediaIO"], swiftSettings: fastMath),
        .target(name: "FaceDetect", dependencies: ["FaceGeometry"], resources: [.copy("Cascades")], swiftSettings: fastMath),
        .target(name: "WingTracker", dependencies: ["WingNN", "FaceGeometry", "FaceDetect", "MediaIO"], swiftSettings: fastMath),
        .executableTarget(name: "wingtrack", dependencies: [
            "MediaIO", "WingNN", "FaceGeometry", "FaceDetect", "WingTrain", "WingTracker",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "TestSupport"]),
        .testTarget(name: "WingNNTests", dependencies: ["WingNN", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FaceGeometryTests", dependencies: ["FaceGeometry", "TestSupport"]),
        .testTarget(name: "FaceDetectTests", dependencies: ["FaceDetect", "FaceGeometry", "MediaIO", "TestSupport"]),
        .testTarget(name: "WingTrainTests", dependencies: ["WingTrain", "WingNN", "FaceGeometry", "MediaIO", "TestSupport"]),
        .testTarget(name: "WingTrackerTests", dependencies: ["WingTracker", "WingNN", "FaceGeometry", "MediaIO", "TestSupport"]),
        .testTarget(name: "WingtrackCLITests", dependencies: ["wingtrack", "MediaIO", "FaceGeometry", "WingNN", "WingTrain", "TestSupport"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v5]
)
