"""Drives Hedgerow's mobile bindings from Python, as the Android and iOS shells will from
Kotlin and Swift: the same generated interface over the same C ABI, against a real
hedgerow-relay process on loopback.

Run by bindings-mobile/tests/python.rs, which generates the bindings and passes:
  HEDGEROW_BINDINGS  directory holding hedgerow.py and the compiled library
  HEDGEROW_RELAY     path of the hedgerow-relay binary
"""

import asyncio
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.environ["HEDGEROW_BINDINGS"])
import hedgerow as hr  # noqa: E402
import hedgerow_core as core  # noqa: E402  (the core's vocabularies and view types)

PASSPHRASE = "kettle-on-before-the-round"
# Fictional patients only: NHS numbers in the 999 range, reserved for testing.
WINIFRED = "999 000 1235"


class Events(hr.WorkspaceEvents):
    """Collects what the core reports; called on Hedgerow's threads."""

    def __init__(self):
        self.progress = []
        self.changed = []
        self.addresses = []
        self.peers = []
        self.listening_now = threading.Event()

    def sync_progress(self, progress):
        self.progress.append(progress)

    def record_changed(self, patient_id):
        self.changed.append(patient_id)

    def listening(self, address):
        self.addresses.append(address)
        self.listening_now.set()

    def peer_synced(self, report):
        self.peers.append(report)


class Relay:
    """A hedgerow-relay process with its own data directory."""

    def __init__(self, root):
        self.log = open(os.path.join(root, "relay.log"), "w")
        self.process = subprocess.Popen(
            [os.environ["HEDGEROW_RELAY"], "--data", os.path.join(root, "relay"), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        prefix = "hedgerow-relay listening at "
        if not line.startswith(prefix):
            raise RuntimeError(f"unexpected relay output: {line!r}")
        self.address = line[len(prefix):]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.log.close()


def clinician(name, role):
    return core.NewClinician(name=name, role=role)


class MobileBindings(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.relay = Relay(self.tmp.name)

    async def asyncTearDown(self):
        self.relay.stop()
        self.tmp.cleanup()

    def dir(self, name):
        return os.path.join(self.tmp.name, name)

    async def founder(self):
        nurse = await hr.create_workspace(
            self.dir("nurse"), PASSPHRASE, clinician("Nia Penhallow", core.Role.DISTRICT_NURSE),
            "Hartsmoor Community Nursing",
        )
        await nurse.create_team("Hartsmoor Community Nursing")
        await nurse.sync_with_relay(self.relay.address)
        return nurse

    async def enrol(self, admin, name, role, folder):
        invite = await admin.invite_device(False, 24)
        self.assertTrue(invite.code.startswith("HR1-"), invite.code)
        await admin.sync_with_relay()  # the relay it remembered
        return await hr.join_team(self.dir(folder), PASSPHRASE, clinician(name, role), "phone", invite.code,
                                  self.relay.address)

    async def test_a_signed_visit_and_the_care_plan_reach_a_second_device_through_the_relay(self):
        nurse = await self.founder()
        me = nurse.identity()
        self.assertEqual(me.name, "Nia Penhallow")
        self.assertEqual(me.role, core.Role.DISTRICT_NURSE)

        winifred = await nurse.add_patient(hr.NewPatient(
            nhs_number=WINIFRED, name="Winifred Ashdown", date_of_birth="1939-05-17",
            address="Lower Barn, Hartsmoor",
        ))
        self.assertEqual(winifred.nhs_number, "9990001235")
        problem = await nurse.add_problem(winifred.id, hr.NewProblem(
            title="Pressure area care", detail="Grade 2 sacral pressure ulcer", review_date="2026-12-06",
            goal="Heal within 6 weeks", intervention="Reposition 2-hourly", frequency="daily",
        ))
        await nurse.set_cpr(winifred.id, core.CprRecommendation.DO_NOT_ATTEMPT_CPR, "daughter, Helen", "advanced frailty")
        await nurse.add_medicine(winifred.id, core.NewMedicine(
            name="Morphine sulfate 10 mg/5 ml oral solution", dose="2.5 mg",
            route=core.Route.ORAL, frequency="when required, up to hourly", reason="breakthrough pain",
        ))

        # The score shows live as values are typed, before anything is saved...
        obs = core.Observations(
            respiration_rate=24, spo2=93, on_oxygen=False, systolic_bp=105, pulse=112,
            consciousness=core.Consciousness.ALERT, temperature=38.4,
        )
        live = hr.score_news2(obs, False)
        # RR 24 → 2, SpO2 93 (Scale 1) → 2, air → 0, SBP 105 → 1, pulse 112 → 2, A → 0, 38.4 °C → 1.
        self.assertEqual(live.total, 8)
        self.assertFalse(live.partial)
        self.assertEqual(live.band, core.RiskBand.HIGH)
        self.assertEqual(live.response, core.News2Response.EMERGENCY_RESPONSE)
        self.assertIn("999", live.advice())
        # ...and recording gives the same score.
        visit = await nurse.start_visit(winifred.id)
        recorded = await nurse.record_observations(visit, obs)
        self.assertEqual(recorded.news2, live)
        partial = hr.score_news2(core.Observations(respiration_rate=18), False)
        self.assertTrue(partial.partial)
        self.assertIn(core.News2Parameter.SPO2, partial.missing)

        await nurse.add_note(visit, "Sacrum dressed; skin around intact. Daughter present.")
        await nurse.record_wound(visit, core.NewWoundAssessment(
            site="sacrum", length_cm=2.5, width_cm=1.5, tissue="granulating 80%", exudate=core.Exudate.LOW,
            pain_score=3, dressing="foam",
        ))
        signature = await nurse.sign_visit(visit)
        self.assertEqual(signature.signed_by.name, "Nia Penhallow")
        self.assertIsInstance(signature.signed_at, datetime.datetime)
        with self.assertRaises(hr.HedgerowError.VisitSigned):
            await nurse.add_note(visit, "an afterthought")
        await nurse.add_addendum(visit, "Correction: the daughter's name is Helen.")

        events = Events()
        report = await nurse.sync_with_relay(events=events)
        self.assertGreater(report.bundles_pushed, 0)
        self.assertTrue(events.progress, "progress was reported")

        # A GP's device joins the team and receives the record.
        gp = await self.enrol(nurse, "Dr Tomasz Orrell", core.Role.GP, "gp")
        caseload = await gp.caseload()
        self.assertEqual([p.name for p in caseload], ["Winifred Ashdown"])
        view = await gp.open_patient(winifred.id)
        self.assertEqual(view.record.demographics.nhs_number, "9990001235")
        self.assertEqual([p.title for p in view.record.care_plan], ["Pressure area care"])
        self.assertEqual(view.record.care_plan[0].id, problem)
        self.assertEqual(view.record.care_plan[0].goals[0].text, "Heal within 6 weeks")
        self.assertEqual(view.record.end_of_life.cpr.recommendation, core.CprRecommendation.DO_NOT_ATTEMPT_CPR)
        self.assertEqual(view.summary.cpr.decided, core.CprRecommendation.DO_NOT_ATTEMPT_CPR)
        self.assertIsNone(view.summary.cpr.disputed)
        self.assertEqual(view.summary.cpr_banner(), "CPR: do not attempt CPR (DNACPR)")
        self.assertEqual(view.summary.latest_news2.total, 8)
        seen = await gp.open_visit(visit)
        self.assertEqual(seen.observations[0].news2.total, 8)
        self.assertTrue(seen.signature_valid)
        self.assertIn("Sacrum dressed", seen.narrative)
        self.assertEqual(seen.addenda[0].text, "Correction: the daughter's name is Helen.")
        self.assertEqual(seen.wound_assessments[0].exudate, core.Exudate.LOW)

        # Both change the same dose offline: the disagreement is shown, never hidden.
        medicine = view.record.medicines[0].id
        await nurse.change_medicine(winifred.id, medicine, core.MedicineChange(dose="5 mg", reason="pain not controlled"))
        await gp.change_medicine(winifred.id, medicine, core.MedicineChange(dose="2.5 mg to 5 mg", reason="titrate to effect"))
        await nurse.sync_with_relay()
        gp_events = Events()
        await gp.sync_with_relay(events=gp_events)
        self.assertEqual(gp_events.changed, [winifred.id], "the screen showing Winifred is told to reload")
        await nurse.sync_with_relay()
        for device in (nurse, gp):
            conflicts = await device.conflicts(winifred.id)
            doses = [c for c in conflicts if c.field.endswith("/dose")]
            self.assertEqual(len(doses), 1, conflicts)
            self.assertEqual(sorted(v.value for v in doses[0].values), ["2.5 mg to 5 mg", "5 mg"])
            self.assertEqual({v.by.name for v in doses[0].values}, {"Nia Penhallow", "Dr Tomasz Orrell"})
            # The record as opened never gives one of them as the dose.
            opened = await device.open_patient(winifred.id)
            disputed = opened.record.medicines[0]
            self.assertTrue(disputed.dosage.startswith("DISPUTED: "), disputed.dosage)
            self.assertEqual({d.label for d in disputed.disputed}, {
                "Medicine " + disputed.name + ": dose", "Medicine " + disputed.name + ": reason for the change"})
        choice = [v.value for v in doses[0].values].index("5 mg") + 1
        with self.assertRaises(hr.HedgerowError.Invalid):
            await gp.resolve_conflict(winifred.id, doses[0].field, choice, " ")
        await gp.resolve_conflict(winifred.id, doses[0].field, choice, "pain controlled at 5 mg")
        # The reason for the change is watched too: the GP settles it as well.
        reasons = [c for c in await gp.conflicts(winifred.id) if c.field.endswith("/change_reason")]
        self.assertEqual(len(reasons), 1)
        await gp.resolve_conflict(winifred.id, reasons[0].field, 1, "the nurse's reason stands")
        await gp.sync_with_relay()
        await nurse.sync_with_relay()
        self.assertEqual(await nurse.conflicts(winifred.id), [])
        merged = await nurse.open_patient(winifred.id)
        self.assertEqual(merged.record.medicines[0].dose, "5 mg")
        history = await nurse.field_history(winifred.id, doses[0].field)
        self.assertGreaterEqual(len(history), 3, history)
        changes = await nurse.record_history(winifred.id)
        self.assertIn("change medicine", [c.action for c in changes])
        self.assertEqual(changes[0].at, max(c.at for c in changes), "newest first")

        # Audit and export.
        audit = await nurse.audit_log(winifred.id)
        self.assertTrue(any(e.action == core.AuditAction.VIEW for e in audit))
        self.assertTrue(any(e.action == core.AuditAction.SIGN for e in audit))
        bundle = json.loads(await nurse.export_fhir(winifred.id))
        self.assertEqual(bundle["resourceType"], "Bundle")
        self.assertIn("9990001235", json.dumps(bundle))
        devices = await nurse.devices()
        self.assertEqual(len(devices), 2)
        paths = await nurse.sync_history()
        self.assertEqual([p.relay for p in paths], [self.relay.address])
        self.assertIsNone(paths[0].last_error)
        self.assertTrue(await gp.in_shared_team())
        charted = await gp.observation_history(winifred.id)
        self.assertEqual([s.news2.total for s in charted], [8])

    async def test_direct_sync_with_a_device_nearby_needs_no_relay(self):
        nurse = await self.founder()
        winifred = await nurse.add_patient(hr.NewPatient(
            nhs_number=WINIFRED, name="Winifred Ashdown", date_of_birth="1939-05-17"))
        gp = await self.enrol(nurse, "Dr Tomasz Orrell", core.Role.GP, "gp")
        await nurse.sync_with_relay()  # learns that the GP's device is enrolled
        self.relay.stop()  # from here on, no relay: the care home has no signal

        task = await nurse.add_task(winifred.id, "Order more dressings", core.Role.DISTRICT_NURSE, "2026-11-25",
                                    core.EntrySource.CLINICAL)
        gp_events = Events()
        listening = asyncio.ensure_future(gp.listen("127.0.0.1:0", gp_events))
        await asyncio.get_running_loop().run_in_executor(None, gp_events.listening_now.wait, 30)
        report = await nurse.sync_with_peer(gp_events.addresses[0])
        self.assertGreaterEqual(report.documents_synced, 1)
        gp.stop_listening()
        self.assertEqual(await listening, 1)
        self.assertEqual(gp_events.changed, [winifred.id])
        self.assertEqual(gp_events.peers[0].records_changed, [winifred.id])
        view = await gp.open_patient(winifred.id)
        self.assertEqual([(t.id, t.title) for t in view.record.tasks], [(task, "Order more dressings")])
        paths = {p.device_label: p for p in await nurse.sync_history() if p.device_public_key}
        self.assertEqual(list(paths), ["phone"], "the GP's phone, by the label it enrolled with")
        self.assertIsNotNone(paths["phone"].last_success)

    async def test_bad_input_gets_a_typed_error_and_changes_nothing(self):
        nurse = await hr.create_workspace(self.dir("nurse"), PASSPHRASE, clinician("Nia Penhallow", core.Role.DISTRICT_NURSE))
        with self.assertRaises(hr.HedgerowError.InvalidNhsNumber) as bad:
            await nurse.add_patient(hr.NewPatient(
                nhs_number="999 000 1234", name="Edith Brackley", date_of_birth="1941-02-03"))
        self.assertIn("check digit", str(bad.exception))
        with self.assertRaises(hr.HedgerowError.InvalidNhsNumber):
            hr.check_nhs_number("943 476 591")
        self.assertEqual(hr.check_nhs_number("9990001235"), "999 000 1235")
        with self.assertRaises(hr.HedgerowError.Invalid):
            await nurse.add_patient(hr.NewPatient(
                nhs_number=WINIFRED, name="Winifred Ashdown", date_of_birth="17/05/1939"))
        self.assertEqual(await nurse.caseload(), [])
        self.assertFalse(await nurse.in_shared_team())
        self.assertEqual(await nurse.care_homes(), [])

        winifred = await nurse.add_patient(hr.NewPatient(
            nhs_number=WINIFRED, name="Winifred Ashdown", date_of_birth="1939-05-17"))
        with self.assertRaises(hr.HedgerowError.DuplicatePatient):
            await nurse.add_patient(hr.NewPatient(
                nhs_number=WINIFRED, name="Winifred Ashdown", date_of_birth="1939-05-17"))
        visit = await nurse.start_visit(winifred.id)
        impossible = core.Observations(pulse=900)
        with self.assertRaises(hr.HedgerowError.ImpossibleObservation):
            await nurse.record_observations(visit, impossible)
        with self.assertRaises(hr.HedgerowError.ImpossibleObservation):
            hr.score_news2(impossible, False)
        with self.assertRaises(hr.HedgerowError.Invalid):
            await nurse.record_observations(visit, core.Observations())
        with self.assertRaises(hr.HedgerowError.Invalid):
            await nurse.open_patient("not-an-id")
        with self.assertRaises(hr.HedgerowError.Invalid):
            await nurse.sync_with_relay("somewhere")
        with self.assertRaises(hr.HedgerowError.Invalid):
            await nurse.sync_with_relay()  # no relay remembered yet
        with self.assertRaises(hr.HedgerowError.AlreadyExists):
            await hr.create_workspace(self.dir("nurse"), PASSPHRASE, clinician("Nia Penhallow", core.Role.DISTRICT_NURSE))
        self.assertEqual((await nurse.open_visit(visit)).observations, [])

        # Safe from a UI thread: quick calls answer on any thread.
        answers = []
        ui = threading.Thread(target=lambda: answers.append((nurse.identity().name, hr.check_nhs_number(WINIFRED))))
        ui.start()
        ui.join()
        self.assertEqual(answers, [("Nia Penhallow", "999 000 1235")])

        await nurse.lock()
        self.assertTrue(nurse.is_locked())
        with self.assertRaises(hr.HedgerowError.Locked):
            await nurse.caseload()
        with self.assertRaises(hr.HedgerowError.WrongPassphrase):
            await hr.open_workspace(self.dir("nurse"), "kettle-on-after-the-round")
        with self.assertRaises(hr.HedgerowError.NoWorkspace):
            await hr.open_workspace(self.dir("nobody"), PASSPHRASE)
        again = await hr.open_workspace(self.dir("nurse"), PASSPHRASE)
        self.assertEqual([p.name for p in await again.caseload()], ["Winifred Ashdown"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
