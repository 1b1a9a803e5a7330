// Fixture for the tidy self-test: banned words in comments, strings and unrelated names must
// not trip the checker. This file is never compiled. It mentions std::thread, <mutex>,
// steady_clock::now(), getenv and exit( only in comments.
#pragma once

#include <string>

/* A block comment naming fsync, fdatasync, this_thread sleeps and
   std::random_device across two lines. */
inline const char* kBannedWords = "std::thread <thread> getenv exit( ::now( fopen";
