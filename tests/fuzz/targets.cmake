# The libFuzzer targets, named once for both builds: the fuzz build (SK_FUZZ, clang) makes
# fuzz_<name> from fuzz_<name>.cc; the test build runs each for a few seconds from corpus/<name>.
set(SK_FUZZ_TARGETS
  frame
  control_state
  branch_log_entry
  startup_packet
  replication_command
  copy_data
  token
  scram
  http_request
  json_bodies
  wal_decoder
  durations_and_times)
