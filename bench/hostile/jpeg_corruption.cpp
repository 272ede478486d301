// How often TurboJPEG refuses a damaged scan: each photo cut at a random point of its scan (EOI
// appended) and with 1-8 random bytes XORed, 200 trials each. docs/reliability.md's table.
//   g++ -O2 -std=c++20 bench/hostile/jpeg_corruption.cpp -lturbojpeg -o /tmp/jpeg_corruption
//   /tmp/jpeg_corruption ~/.cache/detserve/samples/*.jpg
#include <turbojpeg.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <map>
#include <random>
std::string readf(const char* p){std::ifstream in(p,std::ios::binary);std::stringstream s;s<<in.rdbuf();return s.str();}
bool accepted(const std::string& b){
    tjhandle h=tjInitDecompress(); int w,hh,ss,cs;
    auto ok=[&](int r){ if(!r) return true; std::string m=tjGetErrorStr2(h); return tjGetErrorCode(h)==TJERR_WARNING && m.rfind("Corrupt JPEG data: ",0)==0 && m.find(" extraneous bytes before marker 0x")!=std::string::npos;};
    bool a=ok(tjDecompressHeader3(h,(const unsigned char*)b.data(),b.size(),&w,&hh,&ss,&cs));
    if(a){ std::vector<unsigned char> px((size_t)w*hh*3); a=ok(tjDecompress2(h,(const unsigned char*)b.data(),b.size(),px.data(),w,0,hh,TJPF_BGR,0)); }
    tjDestroy(h); return a;
}
int main(int argc,char**argv){
  for(int f=1;f<argc;++f){
  std::string b=readf(argv[f]); size_t sos=b.find("\xff\xda"); std::mt19937 rng(7);
  int rej=0,N=200, rejflip=0;
  for(int t=0;t<N;++t){ size_t cut=sos+20+rng()%(b.size()-sos-40); if(!accepted(b.substr(0,cut)+"\xff\xd9")) ++rej; }
  for(int t=0;t<N;++t){ std::string c=b; size_t pos=sos+20+rng()%(b.size()-sos-40); int n=1+rng()%8; for(int i=0;i<n;++i) c[pos+i]^=(char)(1+rng()%255); if(!accepted(c)) ++rejflip; }
  printf("%s: cut+EOI rejected %d/%d, flips rejected %d/%d\n",argv[f],rej,N,rejflip,N);
  }
}
