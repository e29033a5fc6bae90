// App code as an iOS shell writes it: it imports the bindings as their own module and uses
// Swift's concurrency `Task { }`, which a record named `Task` in the bindings would shadow
// (the bindings call the care record's tasks `CareTask`, see core/uniffi.toml).

import Foundation
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

/// What a SwiftUI screen binds to: the day the core triaged (caseload, who needs attention,
/// tasks and reviews due), loaded by `.task { await model.refresh() }` and again when
/// `recordChanged` fires (docs/mobile.md). Compiled and exercised by the test.
@MainActor
final class TodayModel {
    private(set) var today: Today?
    private(set) var error: String?
    let workspace: Workspace

    init(workspace: Workspace) {
        self.workspace = workspace
    }

    func refresh() async {
        do {
            today = try await workspace.today(date: localDate())
            error = nil
        } catch {
            self.error = "\(error)"
        }
    }
}

/// Today's date as the core takes it, YYYY-MM-DD in local time.
func localDate() -> String {
    let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
    return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
}

/// The line under the observations as they are typed: the score, or why a value is refused.
func liveNews2(_ observations: Observations, scale2: Bool) -> String {
    do {
        let score = try scoreNews2(observations: observations, scale2: scale2)
        // The core says what to do, "At least: ..." for an incomplete set, nothing while it scores 0.
        return score.advice().map { "\(score.headline()). \($0)" } ?? score.headline()
    } catch {
        return "\(error)"
    }
}
