// Boost.URL's implementation, compiled once here so the package's separately built library is
// not needed; everything else includes <boost/url.hpp> (or its parts) only.
#include <boost/url/src.hpp>
