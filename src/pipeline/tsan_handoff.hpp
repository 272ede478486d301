#pragma once
// ThreadSanitizer annotations for the hand-offs through oneTBB (internal to pipeline/).
//
// A Work goes from the thread that puts it into a node to the worker that runs the node's body,
// and the thread that returns from graph::wait_for_all() follows every body that ran. oneTBB
// orders those (its task queues, its wait_context) inside libtbb.so, which is not instrumented, so
// ThreadSanitizer sees no happens-before and reports our own hand-offs as races (second and third
// full TSan runs: a Work allocated by an HTTP thread and read in run_batch; the Batcher written in
// run_batch and destroyed by ~Pipeline). These calls state exactly that ordering, at the places
// oneTBB provides it: release before try_put, acquire at the top of the body. They compile to
// nothing without -fsanitize=thread. oneTBB's own copies of the messages are in tsan.supp.
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace detserve::pipeline {

#if defined(__SANITIZE_THREAD__)
inline void handoff_release(const void* object) { __tsan_release(const_cast<void*>(object)); }
inline void handoff_acquire(const void* object) { __tsan_acquire(const_cast<void*>(object)); }
#else
inline void handoff_release(const void*) {}
inline void handoff_acquire(const void*) {}
#endif

}  // namespace detserve::pipeline
