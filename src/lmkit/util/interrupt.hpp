// Cleaning up unfinished outputs when lmkit is interrupted (SIGINT, SIGTERM, SIGHUP). Writers of
// outputs (AtomicFile, AtomicDirectory) register the temporary paths they are filling and unregister
// them when they commit or are destroyed. install_interrupt_cleanup() installs a handler that only
// write()s the signal's number to a pipe — async-signal-safe, whichever thread the kernel picks
// (libraries such as OpenBLAS start threads before main(), so blocking the signals in every thread
// and sigwait()ing cannot be relied on) — and starts one thread that reads that pipe. That thread is
// an ordinary thread, not a signal handler, so it may take locks and remove directories: it removes
// every registered path, restores the default disposition and re-raises the signal, so the process
// ends with the signal's status (130, 143, 129 in a shell). A signal ignored at start stays ignored
// (nohup, background jobs of a shell without job control).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lmkit {

// Call first thing in main(). Calling it again does nothing.
void install_interrupt_cleanup();

// A path to remove (recursively) if the process is interrupted before unregister_partial(id).
// Returns the id to unregister it with.
std::uint64_t register_partial(std::string path);
void unregister_partial(std::uint64_t id);

// The paths registered now, in registration order (for tests).
std::vector<std::string> registered_partials();

}  // namespace lmkit
