// Streams and events. Every operation completes before its call returns, so waiting and
// synchronising have nothing to wait for; what remains is checking the handles, as the driver
// does (a destroyed event, or a stream the emulator never handed out, is an error).
#include <mutex>
#include <set>

#include "context.h"
#include "driver_api.h"
#include "report.h"

struct EmuEvent {
    unsigned flags;
    bool recorded = false;
};

namespace {

std::mutex events_lock;
std::set<CUevent> &live_events() {
    static auto *events = new std::set<CUevent>;  // never destroyed: cudarc frees events at exit
    return *events;
}

bool is_live(CUevent event) {
    std::lock_guard<std::mutex> guard(events_lock);
    return live_events().count(event) != 0;
}

CUresult check_event(CUevent event, const char *api) {
    if (is_live(event)) return CUDA_SUCCESS;
    emu::fail("%s: event %p is not a live event (destroyed, or never created)", api, (void *)event);
    return CUDA_ERROR_INVALID_HANDLE;
}

}  // namespace

using namespace emu;

EMU_API CUresult cuStreamSynchronize(CUstream stream) {
    if (CUresult r = require_context()) return r;
    return check_stream(stream, "cuStreamSynchronize");
}

EMU_API CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned flags) {
    if (CUresult r = require_context()) return r;
    if (flags > 1) return CUDA_ERROR_INVALID_VALUE;  // CU_EVENT_WAIT_DEFAULT or _EXTERNAL
    if (CUresult r = check_stream(stream, "cuStreamWaitEvent")) return r;
    return check_event(event, "cuStreamWaitEvent");
}

EMU_API CUresult cuEventCreate(CUevent *event, unsigned flags) {
    if (CUresult r = require_context()) return r;
    // CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING | CU_EVENT_INTERPROCESS, the last only
    // together with DISABLE_TIMING.
    if (!event || flags > 7 || ((flags & 4) && !(flags & 2))) return CUDA_ERROR_INVALID_VALUE;
    CUevent created = new EmuEvent{flags};
    std::lock_guard<std::mutex> guard(events_lock);
    live_events().insert(created);
    *event = created;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuEventDestroy_v2(CUevent event) {
    if (CUresult r = require_context()) return r;
    {
        std::lock_guard<std::mutex> guard(events_lock);
        if (live_events().erase(event) == 0) {
            fail("cuEventDestroy: event %p is not a live event (destroyed twice?)", (void *)event);
            return CUDA_ERROR_INVALID_HANDLE;
        }
    }
    delete event;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuEventRecord(CUevent event, CUstream stream) {
    if (CUresult r = require_context()) return r;
    if (CUresult r = check_event(event, "cuEventRecord")) return r;
    if (CUresult r = check_stream(stream, "cuEventRecord")) return r;
    std::lock_guard<std::mutex> guard(events_lock);
    event->recorded = true;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuEventSynchronize(CUevent event) {
    if (CUresult r = require_context()) return r;
    return check_event(event, "cuEventSynchronize");
}

EMU_API CUresult cuEventQuery(CUevent event) {
    if (CUresult r = require_context()) return r;
    return check_event(event, "cuEventQuery");
}
