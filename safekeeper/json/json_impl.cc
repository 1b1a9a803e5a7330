// Boost.JSON's implementation, compiled once here so the package's separately built library is
// not needed; everything else includes <boost/json.hpp> only.
#include <boost/json/src.hpp>
