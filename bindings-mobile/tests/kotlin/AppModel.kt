// What an Android screen binds to, as the app writes it: a view model holding the day the
// core triaged (caseload, who needs attention, tasks and reviews due) as a StateFlow, loaded
// in a coroutine, and the visit screen's live NEWS2 as values
// are typed. A Compose screen collects `patients` (docs/mobile.md); this file is compiled and
// exercised by the Kotlin test, so the walk-through in the docs stays true.

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import java.time.LocalDate
import uniffi.hedgerow.*
import uniffi.hedgerow_core.*

class TodayModel(private val workspace: Workspace, private val scope: CoroutineScope) {
    private val _today = MutableStateFlow<Today?>(null)
    val today: StateFlow<Today?> = _today
    private val _error = MutableStateFlow<String?>(null)
    val error: StateFlow<String?> = _error

    /** Reloads the day; called on opening the screen and when `recordChanged` fires. */
    fun refresh(): Job = scope.launch {
        try {
            _today.value = workspace.today(LocalDate.now().toString())
            _error.value = null
        } catch (e: HedgerowException) {
            _error.value = e.message
        }
    }
}

/** The line under the observations as they are typed: the score, or why a value is refused. */
fun liveNews2(observations: Observations, scale2: Boolean): String =
    try {
        val score = scoreNews2(observations, scale2)
        // The core says what to do, "At least: ..." for an incomplete set, nothing while it scores 0.
        score.advice()?.let { "${score.headline()}. $it" } ?: score.headline()
    } catch (e: HedgerowException.ImpossibleObservation) {
        e.message ?: "a value that is not possible"
    }
