// App code as an iOS shell writes it: it imports the bindings as their own module and uses
// Swift's concurrency `Task { }`, which a record named `Task` in the bindings would shadow
// (the bindings call the care record's tasks `CareTask`, see bindings-mobile/uniffi.toml).

import Hedgerow

/// Loads today's caseload off the main actor, as a SwiftUI view's `.task` or a refresh does.
func caseloadNames(_ workspace: Workspace) async throws -> [String] {
    let load = Task { try await workspace.caseload().map { $0.name } }
    return try await load.value
}

/// The care record's open tasks, by title.
func openTaskTitles(_ tasks: [CareTask]) -> [String] {
    tasks.map { $0.title }
}
