// Drives Hedgerow's mobile bindings from Swift, as the iOS shell does: the generated module
// over the C ABI, against a real hedgerow-relay process on loopback. A port of the Python and
// Kotlin tests' scenarios: typed errors, a signed visit reaching a second device through the
// relay, a direct sync with the relay gone, a `Task` cancelled while a call is in flight, and
// a record shared between two teams (referral, a letter handed over directly, the share ended).
//
// Run by bindings-mobile/tests/swift.rs inside a Debian trixie root (scripts/swift-root),
// with the relay binary's path as the first argument.

import Foundation
import Hedgerow

let passphrase = "kettle-on-before-the-round"
// Fictional patients only: NHS numbers in the 999 range, reserved for testing.
let winifredNhs = "999 000 1235"

struct Failure: Error, CustomStringConvertible {
    let description: String
}

func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw Failure(description: what()) }
}

/// Runs `body`, which must throw the error `matches` accepts.
func refused(_ what: String, _ matches: (HedgerowError) -> Bool, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as HedgerowError {
        try expect(matches(e), "\(what): the wrong error \(e)")
        return
    }
    throw Failure(description: "\(what): nothing was thrown")
}

/// Collects what the core reports; called on Hedgerow's own threads.
final class Events: WorkspaceEvents, @unchecked Sendable {
    private let lock = NSLock()
    private var _progress = 0
    private var _phases: [SyncPhase] = []
    private var _changed: [String] = []
    private var _addresses: [String] = []
    let listeningNow = DispatchSemaphore(value: 0)

    var progress: Int { lock.withLock { _progress } }
    var phases: [SyncPhase] { lock.withLock { _phases } }
    var changed: [String] { lock.withLock { _changed } }
    var addresses: [String] { lock.withLock { _addresses } }

    func syncProgress(progress: SyncProgress) {
        lock.withLock {
            _progress += 1
            _phases.append(progress.phase)
        }
    }
    func recordChanged(patientId: String) { lock.withLock { _changed.append(patientId) } }
    func listening(address: String) {
        lock.withLock { _addresses.append(address) }
        listeningNow.signal()
    }
    func peerSynced(report: PeerReport) {}
}

/// A hedgerow-relay process with its own data directory.
final class Relay {
    let process = Process()
    let address: String

    init(binary: String, root: URL) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--data", root.appendingPathComponent("relay").path, "--listen", "127.0.0.1:0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) {
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        let prefix = "hedgerow-relay listening at "
        guard text.hasPrefix(prefix) else { throw Failure(description: "unexpected relay output: \(text)") }
        address = String(text.dropFirst(prefix.count))
    }

    /// SIGKILL: Foundation's terminate() can hang on a child started from async code.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

func waitFor(_ semaphore: DispatchSemaphore, seconds: Double) async -> Bool {
    await withCheckedContinuation { done in
        DispatchQueue.global().async { done.resume(returning: semaphore.wait(timeout: .now() + seconds) == .success) }
    }
}

struct Scenarios {
    let relayBinary: String
    let root: URL

    func dir(_ name: String) -> String { root.appendingPathComponent(name).path }
    func clinician(_ name: String, _ role: Role) -> NewClinician { NewClinician(name: name, role: role) }

    func founder(_ relay: Relay, _ folder: String) async throws -> Workspace {
        let nurse = try await createWorkspace(
            dir: dir(folder), passphrase: passphrase, clinician: clinician("Nia Penhallow", .districtNurse),
            teamName: "Hartsmoor Community Nursing")
        try await nurse.createTeam(name: "Hartsmoor Community Nursing")
        _ = try await nurse.syncWithRelay(relay: relay.address, events: nil)
        return nurse
    }

    func enrol(_ admin: Workspace, _ relay: Relay, _ name: String, _ role: Role, _ folder: String) async throws -> Workspace {
        let invite = try await admin.inviteDevice(admin: false, validHours: 24)
        try expect(invite.code.hasPrefix("HR1-"), invite.code)
        _ = try await admin.syncWithRelay(relay: nil, events: nil)
        return try await joinTeam(
            dir: dir(folder), passphrase: passphrase, clinician: clinician(name, role), deviceLabel: "phone",
            inviteCode: invite.code, relay: relay.address)
    }

    func newWinifred() -> NewPatient {
        NewPatient(nhsNumber: winifredNhs, name: "Winifred Ashdown", dateOfBirth: "1939-05-17")
    }

    func typedErrors() async throws {
        let nurse = try await createWorkspace(
            dir: dir("c-nurse"), passphrase: passphrase, clinician: clinician("Nia Penhallow", .districtNurse))
        try await refused("a wrong check digit", { if case .InvalidNhsNumber = $0 { true } else { false } }) {
            _ = try await nurse.addPatient(
                new: NewPatient(nhsNumber: "999 000 1234", name: "Edith Brackley", dateOfBirth: "1941-02-03"))
        }
        try expect(try checkNhsNumber(text: "9990001235") == "999 000 1235", "formatted")
        try await refused("a date written the wrong way", { if case .Invalid = $0 { true } else { false } }) {
            _ = try await nurse.addPatient(
                new: NewPatient(nhsNumber: winifredNhs, name: "Winifred Ashdown", dateOfBirth: "17/05/1939"))
        }
        try expect(try await nurse.caseload().isEmpty, "nothing was added")
        let winifred = try await nurse.addPatient(new: newWinifred())
        try await refused("the same NHS number twice", { if case .DuplicatePatient = $0 { true } else { false } }) {
            _ = try await nurse.addPatient(new: newWinifred())
        }
        let visit = try await nurse.startVisit(patientId: winifred.id)
        try await refused("a pulse of 900", { if case .ImpossibleObservation = $0 { true } else { false } }) {
            _ = try await nurse.recordObservations(visitId: visit, observations: Observations(pulse: 900))
        }
        try await refused("a referral to a team this team does not trust", { if case .Invalid = $0 { true } else { false } }) {
            _ = try await nurse.refer(patientId: winifred.id, team: "Rowan Hospice", reason: "for symptom control", urgent: true)
        }
        // From many tasks at once, and through the app code that uses `Task { }`.
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await nurse.caseload().count } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try expect(counts == Array(repeating: 1, count: 8), "\(counts)")
        try expect(try await caseloadNames(nurse) == ["Winifred Ashdown"], "the app's Task { } compiles and runs")
        try await nurse.lock()
        try expect(nurse.isLocked(), "locked")
        try await refused("a call once locked", { if case .Locked = $0 { true } else { false } }) {
            _ = try await nurse.caseload()
        }
        try await refused("a wrong passphrase", { if case .WrongPassphrase = $0 { true } else { false } }) {
            _ = try await openWorkspace(dir: dir("c-nurse"), passphrase: "kettle-on-after-the-round")
        }
        try await refused("no workspace there", { if case .NoWorkspace = $0 { true } else { false } }) {
            _ = try await openWorkspace(dir: dir("nobody"), passphrase: passphrase)
        }
        let reopened = try await openWorkspace(dir: dir("c-nurse"), passphrase: passphrase)
        try expect(try await reopened.caseload().map { $0.name } == ["Winifred Ashdown"], "reopened")
        try await reopened.lock()
    }

    func throughTheRelay() async throws {
        try FileManager.default.createDirectory(atPath: dir("a"), withIntermediateDirectories: true)
        let relay = try Relay(binary: relayBinary, root: root.appendingPathComponent("a"))
        defer { relay.stop() }
        let nurse = try await founder(relay, "a-nurse")
        let winifred = try await nurse.addPatient(new: newWinifred())
        try await nurse.setCpr(
            patientId: winifred.id, recommendation: .doNotAttemptCpr, discussedWith: "daughter, Helen",
            reason: "advanced frailty")
        let obs = Observations(
            respirationRate: 24, spo2: 93, onOxygen: false, systolicBp: 105, pulse: 112, consciousness: .alert,
            temperature: 38.4)
        let live = try scoreNews2(observations: obs, scale2: false)
        try expect(live.total == 8 && !live.partial && live.band == .high, "\(live)")
        try expect(live.response == .emergencyResponse && live.advice()?.contains("999") == true, "\(String(describing: live.advice()))")
        let visit = try await nurse.startVisit(patientId: winifred.id)
        try expect(try await nurse.recordObservations(visitId: visit, observations: obs).news2 == live, "recorded")
        try await nurse.addNote(visitId: visit, text: "Sacrum dressed; skin around intact. Daughter present.")
        let signature = try await nurse.signVisit(visitId: visit)
        try expect(signature.signedBy.name == "Nia Penhallow", "\(signature)")
        try await refused("a note after signing", { if case .VisitSigned = $0 { true } else { false } }) {
            try await nurse.addNote(visitId: visit, text: "an afterthought")
        }
        let events = Events()
        let report = try await nurse.syncWithRelay(relay: nil, events: events)
        try expect(report.bundlesPushed > 0 && events.progress > 0, "\(report)")
        // The phase is an enum a screen can switch on.
        try expect(events.phases.contains(.sending), "\(events.phases)")

        let gp = try await enrol(nurse, relay, "Dr Tomasz Orrell", .gp, "a-gp")
        try expect(try await gp.caseload().map { $0.name } == ["Winifred Ashdown"], "the caseload arrived")
        // The app's model, as docs/mobile.md shows it.
        let today = await TodayModel(workspace: gp)
        await today.refresh()
        let (day, problem) = await (today.today, today.error)
        try expect(day?.caseload.map { $0.name } == ["Winifred Ashdown"], "\(String(describing: problem))")
        // NEWS2 8 puts her first on the list, by the core's rule, not the app's.
        try expect(day?.needsAttention.map { $0.name } == ["Winifred Ashdown"], "\(String(describing: day))")
        try expect(liveNews2(obs, scale2: false).hasPrefix("NEWS2 8"), liveNews2(obs, scale2: false))
        // An incomplete set that already scores 5 still says what to do, as the least.
        let incomplete = liveNews2(Observations(respirationRate: 26, pulse: 120), scale2: false)
        try expect(incomplete.contains("At least: "), incomplete)
        try expect(liveNews2(Observations(pulse: 900), scale2: false).contains("not possible"), "an impossible pulse")
        let view = try await gp.openPatient(patientId: winifred.id)
        // The decision only when settled; while disputed, `disputed` has every value instead.
        try expect(view.summary.cpr.decided == .doNotAttemptCpr && view.summary.cpr.disputed == nil, "\(view.summary)")
        try expect(view.summary.cprBanner() == "CPR: do not attempt CPR (DNACPR)", view.summary.cprBanner())
        // Every vocabulary comes with the core's words for it.
        try expect(view.summary.cpr.decided?.label() == "do not attempt CPR (DNACPR)", "\(view.summary.cpr)")
        try expect(Role.gp.label() == "GP", Role.gp.label())
        let seen = try await gp.openVisit(visitId: visit)
        try expect(seen.signatureValid == true && seen.observations[0].news2.total == 8, "\(seen)")
        try await nurse.lock()
        try await gp.lock()
    }

    func directAndCancelled() async throws {
        try FileManager.default.createDirectory(atPath: dir("b"), withIntermediateDirectories: true)
        let relay = try Relay(binary: relayBinary, root: root.appendingPathComponent("b"))
        let nurse = try await founder(relay, "b-nurse")
        let winifred = try await nurse.addPatient(new: newWinifred())
        let gp = try await enrol(nurse, relay, "Dr Tomasz Orrell", .gp, "b-gp")
        _ = try await nurse.syncWithRelay(relay: nil, events: nil)
        relay.stop() // from here on, no relay: the care home has no signal

        let task = try await nurse.addTask(
            patientId: winifred.id, title: "Order more dressings", assigneeRole: .districtNurse,
            dueDate: "2026-11-25", source: .clinical)
        let gpEvents = Events()
        let listening = Task { try await gp.listen(bind: "127.0.0.1:0", events: gpEvents) }
        try expect(await waitFor(gpEvents.listeningNow, seconds: 30), "the GP's device listens")
        let report = try await nurse.syncWithPeer(addressText: gpEvents.addresses[0], events: nil)
        try expect(report.documentsSynced >= 1, "\(report)")
        gp.stopListening()
        try expect(try await listening.value == 1, "one device synced")
        try expect(gpEvents.changed == [winifred.id], "\(gpEvents.changed)")
        let record = try await gp.openPatient(patientId: winifred.id).record
        try expect(record.tasks.map { $0.id } == [task], "the task arrived")
        try expect(openTaskTitles(record.tasks) == ["Order more dressings"], "as a CareTask")

        // A listen whose Task is cancelled. Swift's cancellation does not reach into a call
        // already in flight (the bindings' futures do not watch for it), so the shell stops
        // listening as well; the call then ends, and the workspace answers the next one.
        let again = Events()
        let cancelled = Task { try await gp.listen(bind: "127.0.0.1:0", events: again) }
        try expect(await waitFor(again.listeningNow, seconds: 30), "listening again")
        cancelled.cancel()
        try expect(cancelled.isCancelled, "the task was cancelled")
        gp.stopListening()
        switch await cancelled.result {
        case .success(let synced): try expect(synced == 0, "no device synced: \(synced)")
        case .failure(let error): try expect(error is CancellationError, "ended by the cancellation: \(error)")
        }
        try expect(try await gp.caseload().count == 1, "still answers after a cancelled call")
        try await nurse.lock()
        try await gp.lock()
    }

    /// Two teams on one relay: a referral refused without consent, then made, received and
    /// accepted; a change handed to the hospice's device directly at the bedside; the share
    /// ended, and the hospice's copy read-only.
    func betweenTeams() async throws {
        try FileManager.default.createDirectory(atPath: dir("d"), withIntermediateDirectories: true)
        let relay = try Relay(binary: relayBinary, root: root.appendingPathComponent("d"))
        defer { relay.stop() }
        let nurse = try await founder(relay, "d-nurse")
        let hospice = try await createWorkspace(
            dir: dir("d-hospice"), passphrase: passphrase, clinician: clinician("Ada Kell", .hospiceNurse),
            teamName: "Rowan Hospice")
        try await hospice.createTeam(name: "Rowan Hospice")
        _ = try await hospice.syncWithRelay(relay: relay.address, events: nil)
        let ours = try await nurse.teamCard(odsCode: nil)
        let theirs = try await hospice.teamCard(odsCode: nil)
        try expect(try await nurse.readTeamCard(card: theirs.text).name == "Rowan Hospice", "the card names its team")
        _ = try await nurse.trustTeam(card: theirs.text, fingerprint: theirs.fingerprint)
        _ = try await hospice.trustTeam(card: ours.text, fingerprint: ours.fingerprint)
        _ = try await nurse.syncWithRelay(relay: nil, events: nil)
        _ = try await hospice.syncWithRelay(relay: nil, events: nil)
        let winifred = try await nurse.addPatient(new: newWinifred())
        try await refused("a referral without the patient's consent", { if case .Invalid = $0 { true } else { false } }) {
            _ = try await nurse.refer(patientId: winifred.id, team: "Rowan Hospice", reason: "for symptom control", urgent: true)
        }
        try await nurse.setSharingConsent(patientId: winifred.id, team: "Rowan Hospice", agreed: true)
        let sent = try await nurse.refer(patientId: winifred.id, team: "Rowan Hospice", reason: "for symptom control", urgent: true)
        _ = try await nurse.syncWithRelay(relay: nil, events: nil)
        _ = try await hospice.syncWithRelay(relay: nil, events: nil)
        try expect(try await hospice.referralsWaiting() == 1, "one referral waits")
        let inbox = try await hospice.referrals()
        try expect(inbox.map { $0.id } == [sent.id] && inbox[0].fromTeam == "Hartsmoor Community Nursing", "\(inbox)")
        try expect(try await hospice.acceptReferral(referralId: sent.id) == winifred.id, "accepted as the same patient")
        _ = try await hospice.syncWithRelay(relay: nil, events: nil)
        _ = try await nurse.syncWithRelay(relay: nil, events: nil)
        let shared = try await nurse.openPatient(patientId: winifred.id).sharedWith
        try expect(shared.map { $0.team } == ["Rowan Hospice"] && shared[0].ended == nil, "\(shared)")

        // At the bedside with no signal: the nurse's change goes to the hospice's device by hand.
        let task = try await nurse.addTask(
            patientId: winifred.id, title: "Bring the syringe driver", assigneeRole: .hospiceNurse,
            dueDate: "2026-12-10", source: .clinical)
        let heard = Events()
        let listening = Task { try await hospice.listen(bind: "127.0.0.1:0", events: heard) }
        try expect(await waitFor(heard.listeningNow, seconds: 30), "the hospice's device listens")
        let handed = try await nurse.syncWithPeer(addressText: heard.addresses[0], events: nil)
        hospice.stopListening()
        try expect(try await listening.value == 1, "one device met")
        try expect(handed.partnerTeam == "Rowan Hospice" && handed.lettersSent >= 1 && handed.leftOut.isEmpty, "\(handed)")
        let record = try await hospice.openPatient(patientId: winifred.id).record
        try expect(record.tasks.contains { $0.id == task }, "the task came by hand")

        try await nurse.endShare(patientId: winifred.id, team: "Rowan Hospice", reason: "discharged from hospice care")
        _ = try await nurse.syncWithRelay(relay: nil, events: nil)
        _ = try await hospice.syncWithRelay(relay: nil, events: nil)
        let copy = try await hospice.openPatientBreakGlass(patientId: winifred.id, reason: "reading the ended copy")
        try expect(copy.readOnly?.contains("discharged from hospice care") == true, "\(String(describing: copy.readOnly))")
        try await refused("an edit of the read-only copy", { if case .Invalid = $0 { true } else { false } }) {
            _ = try await hospice.addTask(
                patientId: winifred.id, title: "Another visit", assigneeRole: .hospiceNurse,
                dueDate: "2026-12-11", source: .clinical)
        }
        try await nurse.lock()
        try await hospice.lock()
    }
}

@main
struct HedgerowTest {
    static func main() async {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hedgerow-swift-\(getpid())")
        let scenarios = Scenarios(relayBinary: CommandLine.arguments[1], root: root)
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            for (name, run) in [
                ("typed errors", scenarios.typedErrors),
                ("through the relay", scenarios.throughTheRelay),
                ("direct sync and a cancelled task", scenarios.directAndCancelled),
                ("between teams", scenarios.betweenTeams),
            ] as [(String, () async throws -> Void)] {
                try await run()
                FileHandle.standardError.write("ok: \(name)\n".data(using: .utf8)!)
            }
        } catch {
            FileHandle.standardError.write("FAILED: \(error)\n".data(using: .utf8)!)
            exit(1)
        }
        FileHandle.standardError.write("OK\n".data(using: .utf8)!)
    }
}
