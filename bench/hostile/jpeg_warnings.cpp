// Which libjpeg warning (if any) 1000 random byte flips in dog.jpg's scan produce.
//   g++ -O2 -std=c++20 bench/hostile/jpeg_warnings.cpp -lturbojpeg -o /tmp/jpeg_warnings
//   /tmp/jpeg_warnings ~/.cache/detserve/samples/dog.jpg
#include <turbojpeg.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <map>
#include <random>
std::string readf(const char* p){std::ifstream in(p,std::ios::binary);std::stringstream s;s<<in.rdbuf();return s.str();}
std::string decode(const std::string& b){
    tjhandle h=tjInitDecompress();
    int w,hh,ss,cs; std::string out="ok";
    if(tjDecompressHeader3(h,(const unsigned char*)b.data(),b.size(),&w,&hh,&ss,&cs)){ out=std::string("H:")+tjGetErrorStr2(h); if(tjGetErrorCode(h)!=TJERR_WARNING){tjDestroy(h);return out;} }
    std::vector<unsigned char> px((size_t)w*hh*3);
    int r=tjDecompress2(h,(const unsigned char*)b.data(),b.size(),px.data(),w,0,hh,TJPF_BGR,0);
    if(r) out += std::string(tjGetErrorCode(h)==TJERR_WARNING?" W:":" F:")+tjGetErrorStr2(h);
    tjDestroy(h); return out;
}
int main(int argc,char**argv){
  std::string b=readf(argv[1]);
  printf("junk-dht: %s\n", [&]{ auto d=b.find("\xff\xc4"); std::string c=b; c.insert(d,"\x12\x34"); return decode(c);}().c_str());
  size_t sos=b.find("\xff\xda"); std::mt19937 rng(1);
  std::map<std::string,int> counts;
  for(int t=0;t<1000;++t){
    std::string c=b; size_t pos=sos+20+rng()%(b.size()-sos-40);
    int n=1+rng()%8; for(int i=0;i<n;++i) c[pos+i]^= (char)(1+rng()%255);
    std::string r=decode(c);
    // normalize counts
    for(auto&ch:r) if(isdigit(ch)) ch='N';
    counts[r]++;
  }
  for(auto&[k,v]:counts) printf("%5d %s\n",v,k.c_str());
}
