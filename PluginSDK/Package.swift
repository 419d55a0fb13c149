// swift-tools-version:6.0
import PackageDescription

// The plugin author's package: the C ABI header, the Swift SDK over it and the testing kit.
// It depends on nothing beyond the toolchain, so a plugin resolves and builds only this; the
// gateway (the package one folder up) depends on it by path.
let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "PluginSDK",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CBifrostPlugin", targets: ["CBifrostPlugin"]),
        .library(name: "BifrostPluginSDK", targets: ["BifrostPluginSDK"]),
        .library(name: "BifrostPluginTesting", targets: ["BifrostPluginTesting"]),
    ],
    targets: [
        .target(
            name: "CBifrostPlugin",
            path: "CBifrostPlugin",
            cSettings: [.unsafeFlags(["-std=c99", "-Wall", "-Wextra", "-Werror"])]
        ),
        .target(
            name: "BifrostPluginSDK",
            dependencies: ["CBifrostPlugin"],
            path: "BifrostPluginSDK",
            swiftSettings: strictSwift
        ),
        .target(
            name: "BifrostPluginTesting",
            path: "BifrostPluginTesting",
            swiftSettings: strictSwift
        ),
    ]
)
