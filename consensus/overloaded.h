// Overloaded: builds one visitor out of several lambdas, for std::visit over Message.
#pragma once

namespace sk::consensus {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace sk::consensus
