#pragma once
#include <string>

#include "h2load_run.h"
#include "options.h"
#include "workload.h"

namespace pushgw::bench {

std::string report_json(const Options& o, const RunResult& r, const H2loadResult& h);
// Writes the timeline and a gnuplot script, runs gnuplot; returns "" or an error.
std::string plot(const Options& o, const RunResult& r, const std::string& dir);

}  // namespace pushgw::bench
