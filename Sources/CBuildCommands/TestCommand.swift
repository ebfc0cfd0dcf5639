import ArgumentParser
import CBuildBasics
import CBuildGraph
import CBuildImages
import CBuildProject
import Foundation

/// `cbuild test image/NAME.FMT…`: bring each image up to date, then boot it
/// under QEMU with OVMF and pass when the target's `[image] boot_marker`
/// appears on the serial console within `boot_timeout`. Always boots (the
/// cached `test/NAME` node is what builds and the nightly use).
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Boot disk images under QEMU and check for the boot marker.",
        discussion: """
            The console goes to .cache/logs/test/<image node>/<run>.log and stays there.
            Examples:
              cbuild test image/vm/test.qcow2
              cbuild test image/azure/web.vhd --timeout 600
            Exit status 1 when an image fails to build or to boot.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Seconds the marker may take (default: [image] boot_timeout).") var timeout: Int?
    @Argument(help: "Image nodes, e.g. image/vm/test.qcow2.", completion: NodeCompletion.kind) var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("name at least one image node, e.g. image/vm/test.qcow2") }
        if let timeout, timeout < 1 { throw ValidationError("--timeout must be at least 1") }
    }

    func run() async throws {
        let status: ExitStatus = try await Session.with(global, access: .mutating, command: "cbuild test") { ws, terminal, reporter in
            let ids = try ws.graph.lookup(images)
            for id in ids where ImageNodes.settings(for: id, in: ws.graph) == nil {
                throw ImageError.notAnImage(node: id.name, images: ImageNodes.all(in: ws.graph).map(\.name))
            }
            let engine = ws.engine()
            let interrupts = InterruptForwarder { engine.interrupt() }
            defer { interrupts.cancel() }
            let summary = try await engine.build(ids, options: .init(jobs: 1))
            reporter.finish()
            if summary.interrupted { return .interrupted }
            var failed = false
            let runId = Engine.makeRunId(Date())
            for id in ids {
                guard let result = summary.result(id), result.outcome != .failed, result.outcome != .skipped,
                      let image = result.outputs.first?.path else {
                    terminal.line("\(terminal.red("FAIL")) \(id.name): not built")
                    failed = true
                    continue
                }
                var settings = ImageNodes.settings(for: id, in: ws.graph)!
                if let timeout { settings.bootTimeout = timeout }
                let logDir = ws.root + "/.cache/logs/test/" + id.name
                try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
                let log = logDir + "/\(runId).log"
                let scratch = ws.root + "/artifacts/tmp/images/test-\(runId)"
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                terminal.errLine("booting \(id.name) (marker \"\(settings.bootMarker)\", up to \(settings.bootTimeout) s)")
                let r = try BootTester(settings: settings).boot(image: ws.root + "/" + image, format: ImageNodes.format(of: id)!,
                                                              logPath: log, scratch: scratch, registry: engine.processes)
                let took = String(format: "%.1f s", r.seconds)
                if r.passed {
                    terminal.line("\(terminal.green("PASS")) \(id.name): marker after \(took) (\(r.accelerator))")
                } else {
                    failed = true
                    terminal.line("\(terminal.red("FAIL")) \(id.name): \(r.problem ?? "failed") after \(took) (\(r.accelerator))")
                    terminal.line("  console log: \(log)")
                }
            }
            return failed ? .nodeFailed : .success
        }
        if status != .success { throw ExitWith(status) }
    }
}
