// Drives Hedgerow's mobile bindings from Kotlin, as the Android shell does: the generated
// interface over the C ABI, through JNA, against a real hedgerow-relay process on loopback.
// A port of tests/python/test_hedgerow.py's scenarios, plus what only Kotlin has: suspend
// calls from coroutines, and a coroutine cancelled while a call is in flight; and a record
// shared between two teams (referral, a letter handed over directly, the share ended).
//
// Run by bindings-mobile/tests/kotlin.rs, which generates the bindings, compiles this file
// with them and passes the relay binary's path as the first argument.

import kotlinx.coroutines.*
import uniffi.hedgerow.*
import uniffi.hedgerow_core.*
import java.io.File
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

const val PASSPHRASE = "kettle-on-before-the-round"
// Fictional patients only: NHS numbers in the 999 range, reserved for testing.
const val WINIFRED = "999 000 1235"

inline fun expect(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}

inline fun <reified E : Throwable> refused(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("$what: expected ${E::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${E::class.simpleName}, nothing was thrown")
}

/** Collects what the core reports; called on Hedgerow's own threads. */
class Events : WorkspaceEvents {
    val progress = CopyOnWriteArrayList<SyncProgress>()
    val changed = CopyOnWriteArrayList<String>()
    val addresses = CopyOnWriteArrayList<String>()
    val peers = CopyOnWriteArrayList<PeerReport>()
    val threads = CopyOnWriteArrayList<String>()
    val listeningNow = CountDownLatch(1)

    override fun syncProgress(progress: SyncProgress) {
        threads.add(Thread.currentThread().name)
        this.progress.add(progress)
    }

    override fun recordChanged(patientId: String) {
        changed.add(patientId)
    }

    override fun listening(address: String) {
        addresses.add(address)
        listeningNow.countDown()
    }

    override fun peerSynced(report: PeerReport) {
        peers.add(report)
    }
}

/** A hedgerow-relay process with its own data directory. */
class Relay(binary: String, root: File) {
    private val process: Process = ProcessBuilder(
        binary, "--data", File(root, "relay").path, "--listen", "127.0.0.1:0",
    ).redirectError(File(root, "relay.log")).start()
    val address: String

    init {
        val line = process.inputStream.bufferedReader().readLine()?.trim() ?: ""
        val prefix = "hedgerow-relay listening at "
        check(line.startsWith(prefix)) { "unexpected relay output: '$line'" }
        address = line.removePrefix(prefix)
    }

    fun stop() {
        process.destroyForcibly()
        process.waitFor()
    }
}

class Scenarios(private val relayBinary: String) {
    private val root: File = Files.createTempDirectory("hedgerow-kotlin").toFile()
    private fun dir(name: String) = File(root, name).path
    private fun clinician(name: String, role: Role) = NewClinician(name = name, role = role)

    private suspend fun founder(relay: Relay, folder: String = "nurse"): Workspace {
        val nurse = createWorkspace(
            dir(folder), PASSPHRASE, clinician("Nia Penhallow", Role.DISTRICT_NURSE), "Hartsmoor Community Nursing",
        )
        nurse.createTeam("Hartsmoor Community Nursing")
        nurse.syncWithRelay(relay.address)
        return nurse
    }

    private suspend fun enrol(admin: Workspace, relay: Relay, name: String, role: Role, folder: String): Workspace {
        val invite = admin.inviteDevice(false, 24u)
        expect(invite.code.startsWith("HR1-")) { invite.code }
        admin.syncWithRelay() // the relay it remembered
        return joinTeam(dir(folder), PASSPHRASE, clinician(name, role), "phone", invite.code, relay.address)
    }

    /** A signed visit and the care plan reach a second device through the relay. */
    suspend fun throughTheRelay() {
        val relay = Relay(relayBinary, File(root, "a").apply { mkdirs() })
        try {
            val nurse = founder(relay, "a-nurse")
            expect(nurse.identity().role == Role.DISTRICT_NURSE) { "${nurse.identity()}" }
            val winifred = nurse.addPatient(
                NewPatient(nhsNumber = WINIFRED, name = "Winifred Ashdown", dateOfBirth = "1939-05-17"),
            )
            expect(winifred.nhsNumber == "9990001235") { winifred.nhsNumber }
            nurse.setCpr(winifred.id, CprRecommendation.DO_NOT_ATTEMPT_CPR, "daughter, Helen", "advanced frailty")

            // The score shows live as values are typed, and recording gives the same score.
            val obs = Observations(
                respirationRate = 24u, spo2 = 93u, onOxygen = false, systolicBp = 105u, pulse = 112u,
                consciousness = Consciousness.ALERT, temperature = 38.4,
            )
            val live = scoreNews2(obs, false)
            expect(live.total.toInt() == 8 && !live.partial) { "$live" }
            expect(live.band == RiskBand.HIGH && live.response == News2Response.EMERGENCY_RESPONSE) { "$live" }
            expect(live.advice()?.contains("999") == true) { "${live.advice()}" }
            val visit = nurse.startVisit(winifred.id)
            expect(nurse.recordObservations(visit, obs).news2 == live) { "recorded differs from live" }
            expect(scoreNews2(Observations(respirationRate = 18u), false).partial) { "a partial set" }
            nurse.addNote(visit, "Sacrum dressed; skin around intact. Daughter present.")
            val signature = nurse.signVisit(visit)
            expect(signature.signedBy.name == "Nia Penhallow") { "$signature" }
            refused<HedgerowException.VisitSigned>("a note after signing") {
                runBlocking { nurse.addNote(visit, "an afterthought") }
            }

            val events = Events()
            val report = nurse.syncWithRelay(events = events)
            expect(report.bundlesPushed > 0u) { "$report" }
            expect(events.progress.isNotEmpty()) { "progress was reported" }
            // The phase is an enum a screen can switch on, with its words beside it.
            expect(events.progress.any { it.phase == SyncPhase.SENDING && it.phase.label().startsWith("sending") }) {
                "${events.progress.map { it.phase }}"
            }
            expect(events.threads.none { it == Thread.currentThread().name }) {
                "callbacks come on Hedgerow's threads, not the caller's: ${events.threads}"
            }

            // A GP's device joins the team and receives the record.
            val gp = enrol(nurse, relay, "Dr Tomasz Orrell", Role.GP, "a-gp")
            expect(gp.caseload().map { it.name } == listOf("Winifred Ashdown")) { "the caseload arrived" }
            // The app's view model, as docs/mobile.md shows it.
            coroutineScope {
                val today = TodayModel(gp, this)
                today.refresh().join()
                val day = today.today.value
                expect(day?.caseload?.map { it.name } == listOf("Winifred Ashdown")) { "${today.error.value}" }
                // NEWS2 8 puts her first on the list, by the core's rule, not the app's.
                expect(day?.needsAttention?.map { it.name } == listOf("Winifred Ashdown")) { "$day" }
            }
            expect(liveNews2(obs, false).startsWith("NEWS2 8")) { liveNews2(obs, false) }
            // An incomplete set that already scores 5 still says what to do, as the least.
            val incomplete = liveNews2(Observations(respirationRate = 26u, pulse = 120u), false)
            expect("At least: " in incomplete) { incomplete }
            expect("not possible" in liveNews2(Observations(pulse = 900u), false)) { liveNews2(Observations(pulse = 900u), false) }
            val view = gp.openPatient(winifred.id)
            // The decision only when settled; while disputed, `disputed` has every value instead.
            expect(view.summary.cpr.decided == CprRecommendation.DO_NOT_ATTEMPT_CPR && view.summary.cpr.disputed == null) {
                "${view.summary}"
            }
            expect(view.summary.cprBanner() == "CPR: do not attempt CPR (DNACPR)") { view.summary.cprBanner() }
            // Every vocabulary comes with the core's words for it.
            expect(view.summary.cpr.decided?.label() == "do not attempt CPR (DNACPR)") { "${view.summary.cpr}" }
            expect(Role.GP.label() == "GP") { Role.GP.label() }
            val seen = gp.openVisit(visit)
            expect(seen.signatureValid == true && seen.observations[0].news2.total.toInt() == 8) { "$seen" }
            nurse.syncWithRelay() // hears of the GP's device
            expect(nurse.devices().size == 2) { "two devices: ${nurse.devices()}" }
            nurse.lock()
            gp.lock()
        } finally {
            relay.stop()
        }
    }

    /** Direct sync with a device nearby needs no relay; a cancelled coroutine stops waiting. */
    suspend fun directAndCancelled() = coroutineScope {
        val relay = Relay(relayBinary, File(root, "b").apply { mkdirs() })
        val nurse = founder(relay, "b-nurse")
        val winifred = nurse.addPatient(
            NewPatient(nhsNumber = WINIFRED, name = "Winifred Ashdown", dateOfBirth = "1939-05-17"),
        )
        val gp = enrol(nurse, relay, "Dr Tomasz Orrell", Role.GP, "b-gp")
        nurse.syncWithRelay() // learns that the GP's device is enrolled
        relay.stop() // from here on, no relay: the care home has no signal

        val task = nurse.addTask(winifred.id, "Order more dressings", Role.DISTRICT_NURSE, "2026-11-25", EntrySource.CLINICAL)
        val gpEvents = Events()
        val listening = async(Dispatchers.IO) { gp.listen("127.0.0.1:0", gpEvents) }
        expect(gpEvents.listeningNow.await(30, TimeUnit.SECONDS)) { "the GP's device listens" }
        val report = nurse.syncWithPeer(gpEvents.addresses[0])
        expect(report.documentsSynced >= 1u) { "$report" }
        gp.stopListening()
        expect(listening.await() == 1u) { "one device synced" }
        expect(gpEvents.changed.toList() == listOf(winifred.id)) { "${gpEvents.changed}" }
        expect(gp.openPatient(winifred.id).record.tasks.map { it.id } == listOf(task)) { "the task arrived" }

        // A listen whose coroutine is cancelled: the caller stops waiting at once, and the
        // workspace answers the next call.
        val again = Events()
        val job = launch(Dispatchers.IO) { gp.listen("127.0.0.1:0", again) }
        expect(again.listeningNow.await(30, TimeUnit.SECONDS)) { "listening again" }
        withTimeout(10_000) { job.cancelAndJoin() }
        expect(job.isCancelled) { "the coroutine was cancelled" }
        gp.stopListening()
        expect(gp.caseload().size == 1) { "still answers after a cancelled call" }
        nurse.lock()
        gp.lock()
    }

    /** Bad input gets a typed error and changes nothing; quick calls answer on any thread. */
    suspend fun typedErrors() {
        val nurse = createWorkspace(dir("c-nurse"), PASSPHRASE, clinician("Nia Penhallow", Role.DISTRICT_NURSE))
        val bad = refused<HedgerowException.InvalidNhsNumber>("a wrong check digit") {
            runBlocking { nurse.addPatient(NewPatient(nhsNumber = "999 000 1234", name = "Edith Brackley", dateOfBirth = "1941-02-03")) }
        }
        expect("check digit" in (bad.message ?: "")) { "${bad.message}" }
        expect(checkNhsNumber("9990001235") == "999 000 1235") { "formatted" }
        refused<HedgerowException.Invalid>("a date written the wrong way") {
            runBlocking { nurse.addPatient(NewPatient(nhsNumber = WINIFRED, name = "Winifred Ashdown", dateOfBirth = "17/05/1939")) }
        }
        expect(nurse.caseload().isEmpty()) { "nothing was added" }
        val winifred = nurse.addPatient(NewPatient(nhsNumber = WINIFRED, name = "Winifred Ashdown", dateOfBirth = "1939-05-17"))
        refused<HedgerowException.DuplicatePatient>("the same NHS number twice") {
            runBlocking { nurse.addPatient(NewPatient(nhsNumber = WINIFRED, name = "Winifred Ashdown", dateOfBirth = "1939-05-17")) }
        }
        val visit = nurse.startVisit(winifred.id)
        refused<HedgerowException.ImpossibleObservation>("a pulse of 900") {
            runBlocking { nurse.recordObservations(visit, Observations(pulse = 900u)) }
        }
        refused<HedgerowException.Invalid>("a referral to a team this team does not trust") {
            runBlocking { nurse.refer(winifred.id, "Rowan Hospice", "for symptom control", true) }
        }
        refused<HedgerowException.Invalid>("not an id") { runBlocking { nurse.openPatient("not-an-id") } }
        refused<HedgerowException.AlreadyExists>("a second workspace in one place") {
            runBlocking { createWorkspace(dir("c-nurse"), PASSPHRASE, clinician("Nia Penhallow", Role.DISTRICT_NURSE)) }
        }

        // From a UI thread and from many coroutines at once.
        var answer = ""
        val ui = Thread { answer = nurse.identity().name + " " + checkNhsNumber(WINIFRED) }
        ui.start()
        ui.join()
        expect(answer == "Nia Penhallow 999 000 1235") { answer }
        val counts = coroutineScope { (1..8).map { async(Dispatchers.Default) { nurse.caseload().size } }.awaitAll() }
        expect(counts == List(8) { 1 }) { "$counts" }

        nurse.lock()
        expect(nurse.isLocked()) { "locked" }
        refused<HedgerowException.Locked>("a call once locked") { runBlocking { nurse.caseload() } }
        refused<HedgerowException.WrongPassphrase>("a wrong passphrase") {
            runBlocking { openWorkspace(dir("c-nurse"), "kettle-on-after-the-round") }
        }
        refused<HedgerowException.NoWorkspace>("no workspace there") { runBlocking { openWorkspace(dir("nobody"), PASSPHRASE) } }
        val reopened = openWorkspace(dir("c-nurse"), PASSPHRASE)
        expect(reopened.caseload().map { it.name } == listOf("Winifred Ashdown")) { "reopened" }
        reopened.lock()
    }

    /**
     * Two teams on one relay: a referral refused without consent, then made, received and
     * accepted; a change handed to the hospice's device directly at the bedside; the share
     * ended, and the hospice's copy read-only.
     */
    suspend fun betweenTeams() = coroutineScope {
        val relay = Relay(relayBinary, File(root, "d").apply { mkdirs() })
        try {
            val nurse = founder(relay, "d-nurse")
            val hospice = createWorkspace(dir("d-hospice"), PASSPHRASE, clinician("Ada Kell", Role.HOSPICE_NURSE), "Rowan Hospice")
            hospice.createTeam("Rowan Hospice")
            hospice.syncWithRelay(relay.address)
            val ours = nurse.teamCard(null)
            val theirs = hospice.teamCard(null)
            expect(nurse.readTeamCard(theirs.text).name == "Rowan Hospice") { "the card names its team" }
            nurse.trustTeam(theirs.text, theirs.fingerprint)
            hospice.trustTeam(ours.text, ours.fingerprint)
            nurse.syncWithRelay()
            hospice.syncWithRelay()
            val winifred = nurse.addPatient(NewPatient(nhsNumber = WINIFRED, name = "Winifred Ashdown", dateOfBirth = "1939-05-17"))
            refused<HedgerowException.Invalid>("a referral without the patient's consent") {
                runBlocking { nurse.refer(winifred.id, "Rowan Hospice", "for symptom control", true) }
            }
            nurse.setSharingConsent(winifred.id, "Rowan Hospice", true)
            val sent = nurse.refer(winifred.id, "Rowan Hospice", "for symptom control", true)
            nurse.syncWithRelay()
            hospice.syncWithRelay()
            expect(hospice.referralsWaiting() == 1u) { "one referral waits" }
            val inbox = hospice.referrals()
            expect(inbox.map { it.id } == listOf(sent.id) && inbox[0].fromTeam == "Hartsmoor Community Nursing") { "$inbox" }
            expect(hospice.acceptReferral(sent.id) == winifred.id) { "accepted as the same patient" }
            expect(hospice.referralsWaiting() == 0u) { "none waits once answered" }
            hospice.syncWithRelay()
            nurse.syncWithRelay()
            val shared = nurse.openPatient(winifred.id).sharedWith
            expect(shared.map { it.team } == listOf("Rowan Hospice") && shared[0].ended == null) { "$shared" }

            // At the bedside with no signal: the nurse's change goes to the hospice's device by hand.
            val task = nurse.addTask(winifred.id, "Bring the syringe driver", Role.HOSPICE_NURSE, "2026-12-10", EntrySource.CLINICAL)
            val heard = Events()
            val listening = async(Dispatchers.IO) { hospice.listen("127.0.0.1:0", heard) }
            expect(heard.listeningNow.await(30, TimeUnit.SECONDS)) { "the hospice's device listens" }
            val handed = nurse.syncWithPeer(heard.addresses[0])
            hospice.stopListening()
            expect(listening.await() == 1u) { "one device met" }
            expect(handed.partnerTeam == "Rowan Hospice" && handed.lettersSent >= 1u && handed.leftOut.isEmpty()) { "$handed" }
            expect(hospice.openPatient(winifred.id).record.tasks.any { it.id == task }) { "the task came by hand: $handed ${heard.peers}" }

            nurse.endShare(winifred.id, "Rowan Hospice", "discharged from hospice care")
            nurse.syncWithRelay()
            hospice.syncWithRelay()
            val copy = hospice.openPatientBreakGlass(winifred.id, "reading the ended copy")
            expect(copy.readOnly?.contains("discharged from hospice care") == true) { "${copy.readOnly}" }
            refused<HedgerowException.Invalid>("an edit of the read-only copy") {
                runBlocking { hospice.addTask(winifred.id, "Another visit", Role.HOSPICE_NURSE, "2026-12-11", EntrySource.CLINICAL) }
            }
            nurse.lock()
            hospice.lock()
        } finally {
            relay.stop()
        }
    }

    fun cleanUp() {
        root.deleteRecursively()
    }
}

fun main(args: Array<String>) {
    val scenarios = Scenarios(args[0])
    try {
        runBlocking {
            for ((name, scenario) in listOf(
                "typed errors" to scenarios::typedErrors,
                "through the relay" to scenarios::throughTheRelay,
                "direct sync and a cancelled coroutine" to scenarios::directAndCancelled,
                "between teams" to scenarios::betweenTeams,
            )) {
                scenario()
                System.err.println("ok: $name")
            }
        }
    } finally {
        scenarios.cleanUp()
    }
    System.err.println("OK")
}
